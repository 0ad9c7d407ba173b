import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommentEntity } from '../src/comments/comment.entity';
import { CommentNode, toCommentResponse } from '../src/comments/dto/comment.dto';
import { createArticle, postComment, seedComments, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

/** Issue 10.2: pages written by PostgreSQL, articles from a prepared copy; same answers as before. */
describe('the uncached read path', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp({ THREAD_CACHE_MS: '0' });
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  const flatten = (nodes: CommentNode[]): CommentNode[] =>
    nodes.flatMap((n) => [n, ...flatten(n.replies)]);

  it('writes every comment of a page exactly as the response mapper does, keys in its order', async () => {
    const root = await postComment(t, article.slug, {
      anchor: { blockId: article.blocks[0].id, quote: { exact: 'tea and biscuits' } },
    });
    const reply = await postComment(t, article.slug, { parentId: root.comment.id });
    await postComment(t, article.slug, { parentId: reply.comment.id, body: 'a *deep* reply' });
    const gone = await postComment(t, article.slug);
    await postComment(t, article.slug, { parentId: gone.comment.id });
    // Deleted while it holds up a reply: a placeholder stays in the thread.
    await t.dataSource.query("UPDATE comments SET status = 'deleted' WHERE id = $1", [
      gone.comment.id,
    ]);
    await t.dataSource.query(
      "UPDATE comments SET up_count = 3, down_count = 1, edited_at = now() - interval '1 second' WHERE id = $1",
      [root.comment.id],
    );

    const res = await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const nodes = flatten((res.body as { items: CommentNode[] }).items);
    expect(nodes).toHaveLength(5);
    const repo = t.dataSource.getRepository(CommentEntity);
    for (const node of nodes) {
      const expected = toCommentResponse(await repo.findOneByOrFail({ id: node.id }));
      const own = (key: string, value: unknown) =>
        key === 'replies' || key === 'moreReplies' ? undefined : value;
      expect(JSON.stringify(node, own)).toBe(JSON.stringify(expected, own));
    }
    const placeholder = nodes.find((n) => n.id === gone.comment.id)!;
    expect(placeholder).toMatchObject({ status: 'deleted', authorName: null, bodyHtml: null });
    const top = nodes.find((n) => n.id === root.comment.id)!;
    expect(top.votes).toEqual({ up: 3, down: 1, score: 2 });
    expect(top.replies.map((r) => r.id)).toEqual([reply.comment.id]);
    expect(top.replies[0].replies).toHaveLength(1);
  });

  it('runs a thread page by name, and reuses the plan of later pages, on a thread of thousands', async () => {
    const big = await createArticle(t);
    await seedComments(t, big.id, 5000);
    // One read after another: each takes the connection the last one gave back (pg's pool reuses
    // the most recent), and so does the query that reads its prepared statements. First pages
    // and later ones, newest first (the default sort).
    let cursor: string | null = null;
    for (let i = 0; i < 24; i += 1) {
      const query: Record<string, string | number> =
        i % 2 === 1 && cursor ? { limit: 20, cursor } : { limit: 20 };
      const res = await request(t.http)
        .get(`/api/articles/${big.slug}/comments`)
        .query(query)
        .expect(200);
      cursor = (res.body as { nextCursor: string | null }).nextCursor;
    }
    const plans: { statement: string; generic_plans: string; custom_plans: string }[] =
      await t.dataSource.query(
        `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
          WHERE statement LIKE '%row_number() OVER%'`,
      );
    // Both run by name, parsed once per connection: the first page's statement and the later
    // pages' (with the cursor's keyset). The later pages' plan is reused too; the first page is
    // planned for its values every time (its reusable plan is costed for a tenth of the thread,
    // not for the limit).
    expect(plans).toHaveLength(2);
    const later = plans.find((plan) => plan.statement.includes('< ($4::timestamptz, $5::uuid)'))!;
    // PostgreSQL makes five plans for the values given before it weighs a reusable one.
    expect(Number(later.custom_plans)).toBeLessThanOrEqual(5);
    expect(Number(later.generic_plans)).toBeGreaterThanOrEqual(7);
  });

  it('serves an article that follows every save and every counter move', async () => {
    const own = await createArticle(t, { title: 'Prepared once' });
    const read = async () =>
      (await request(t.http).get(`/api/articles/${own.slug}`).expect(200)).body as {
        title: string;
        commentCount: number;
        blocks: { id: string; text: string; inlineCount: number }[];
      };
    const first = await read();
    expect(first.title).toBe('Prepared once');
    expect(first.commentCount).toBe(0);

    await postComment(t, own.slug, { anchor: { blockId: own.blocks[1].id } });
    const counted = await read();
    expect(counted.commentCount).toBe(1);
    expect(counted.blocks.map((b) => b.inlineCount)).toEqual([0, 1, 0]);

    await request(t.http)
      .patch(`/api/admin/articles/${own.slug}`)
      .set(t.admin)
      .send({ title: 'Saved again', body: 'A brand new first paragraph.' })
      .expect(200);
    const saved = await read();
    expect(saved.title).toBe('Saved again');
    expect(saved.blocks[0].text).toBe('A brand new first paragraph.');
    expect(saved.commentCount).toBe(1);

    await request(t.http)
      .patch(`/api/admin/articles/${own.slug}`)
      .set(t.admin)
      .send({ status: 'draft' })
      .expect(200);
    await request(t.http).get(`/api/articles/${own.slug}`).expect(404);
  });
});
