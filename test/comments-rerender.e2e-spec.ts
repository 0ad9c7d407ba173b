import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMENT_RENDER_VERSION, renderCommentBody } from '../src/comments/comment-body';
import { createArticle, postComment, Posted, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { runTs } from './support/process';

describe('npm run admin -- comments rerender', { timeout: 180_000 }, () => {
  let t: TestApp;
  let article: TestArticle;
  const cli = (...args: string[]) =>
    runTs('src/cli/admin.ts', args, { DATABASE_URL: t.databaseUrl });

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  it('re-renders bodies stored by an older renderer, in batches, and leaves current ones alone', async () => {
    const sources = ['*one* [a](https://a.example)', '**two**', '> three', 'four <b>x</b>', 'five'];
    const posted: Posted[] = [];
    for (const body of sources) {
      posted.push(await postComment(t, article.slug, { body }));
    }
    await request(t.http)
      .patch(`/api/comments/${posted[0].comment.id}`)
      .set('X-Edit-Token', posted[0].editToken)
      .send({ body: '*one, edited*' })
      .expect(200);
    // As an older renderer left them: version 1 and HTML that is not today's rendering.
    const stale = posted.slice(0, 4).map((p) => p.comment.id);
    await t.dataSource.query(
      `UPDATE comments SET body_html = '<p>stale</p>', render_version = 1 WHERE id = ANY($1)`,
      [stale],
    );
    await t.dataSource.query(
      `UPDATE comment_revisions SET body_html = '<p>stale</p>', render_version = 1`,
    );
    await t.dataSource.query(`UPDATE comments SET body_html = '<p>current</p>' WHERE id = $1`, [
      posted[4].comment.id,
    ]);

    const run = await cli('comments', 'rerender', '--batch-size', '3');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `re-rendered 4 comments and 1 revisions to render version ${COMMENT_RENDER_VERSION}\n`,
    );

    const rows: { id: string; body_source: string; body_html: string; render_version: number }[] =
      await t.dataSource.query(
        'SELECT id, body_source, body_html, render_version FROM comments WHERE id = ANY($1)',
        [posted.map((p) => p.comment.id)],
      );
    for (const row of rows) {
      expect(row.render_version).toBe(COMMENT_RENDER_VERSION);
      if (row.id === posted[4].comment.id) {
        expect(row.body_html).toBe('<p>current</p>');
      } else {
        expect(row.body_html).toBe(renderCommentBody(row.body_source).html);
      }
    }
    const [revision]: { body_html: string; render_version: number }[] = await t.dataSource.query(
      'SELECT body_html, render_version FROM comment_revisions WHERE comment_id = $1',
      [posted[0].comment.id],
    );
    expect(revision).toEqual({
      body_html: renderCommentBody(sources[0]).html,
      render_version: COMMENT_RENDER_VERSION,
    });
    // The API serves the re-rendered body.
    const thread = await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    const two = (thread.body.items as { id: string; bodyHtml: string }[]).find(
      (c) => c.id === posted[1].comment.id,
    );
    expect(two?.bodyHtml).toBe('<p><strong>two</strong></p>\n');

    const again = await cli('comments', 'rerender');
    expect(again.stdout).toBe(
      `re-rendered 0 comments and 0 revisions to render version ${COMMENT_RENDER_VERSION}\n`,
    );
  });

  it('refuses a bad batch size with a clear line and changes nothing', async () => {
    const run = await cli('comments', 'rerender', '--batch-size', '0');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--batch-size must be a whole number from 1 to 10000');
  });
});
