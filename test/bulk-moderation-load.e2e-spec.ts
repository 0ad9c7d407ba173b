import request, { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { countersAndTruth, insertPendingComments } from './factories/moderation';
import { createTestApp, TestApp } from './support/app';

/**
 * Replays issue 9 point 9 (bulk part): 400 ids in one bulk decision took 36 s on main, growing
 * faster than linearly, while public posts on the same article answered 503. A bulk decision is
 * set-based: 1,000 ids finish in about a second, and the article keeps taking comments meanwhile.
 */
describe('a bulk decision on 1,000 comments of one article', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'none' });
    article = await createArticle(t);
    // Someone follows the article and a moderator is alerted: the notification paths run too.
    await request(t.http)
      .put('/api/admin/settings/moderation')
      .set(t.admin)
      .send({ moderatorEmails: ['mod@example.com'] })
      .expect(200);
    await t.dataSource.query(
      `INSERT INTO subscriptions (id, kind, email, email_key, article_id, status,
         unsubscribe_token_hash, consent_at, consent_source, consent_text_version, confirmed_at)
       VALUES (gen_random_uuid(), 'followups', 'follower@example.com', 'follower@example.com', $1,
         'confirmed', 'unsub-hash-follower', now(), 'test', 'test', now())`,
      [article.id],
    );
  });
  afterAll(() => t.close());

  it('approves, then trashes, 1,000 ids in about a second each; public posts get no 5xx', async () => {
    const parent = await postComment(t, article.slug);
    const pending = await insertPendingComments(t, article.id, 1000);
    // A fifth of them are replies under one visible comment: its reply count moves in bulk too.
    await t.dataSource.query(
      `UPDATE comments SET parent_id = $2, root_id = $2, depth = 1, path = ARRAY[$2::uuid]
        WHERE id = ANY($1::uuid[])`,
      [pending.slice(0, 200), parent.comment.id],
    );
    await t.dataSource.query('ANALYZE comments');

    const posts: Response[] = [];
    const timings: number[] = [];
    for (const status of ['approved', 'trash', 'approved'] as const) {
      let running = true;
      const posting = (async () => {
        let n = 0;
        while (running) {
          n += 1;
          posts.push(
            await request(t.http)
              .post(`/api/articles/${article.slug}/comments`)
              .send({
                authorName: 'Live reader',
                authorEmail: `live-${status}-${n}@example.com`,
                body: `Posted during a bulk ${status} (${n})`,
              }),
          );
        }
      })();
      const started = Date.now();
      const bulk = await request(t.http)
        .post('/api/admin/comments/bulk')
        .set(t.admin)
        .send({ ids: pending, status });
      timings.push(Date.now() - started);
      running = false;
      await posting;
      expect(bulk.status).toBe(200);
      expect(bulk.body).toEqual({ updated: 1000 });
    }
    console.info(`bulk 1,000 ids: ${timings.join(' ms, ')} ms`);
    expect(Math.max(...timings)).toBeLessThan(2500);
    expect(posts.filter((p) => p.status >= 500).map((p) => p.body)).toEqual([]);
    expect(posts.filter((p) => p.status === 201).length).toBeGreaterThan(0);

    const { stored, fresh } = await countersAndTruth(t, article.id);
    expect(stored).toEqual(fresh);
    const [{ replies }] = await t.dataSource.query(
      'SELECT reply_count AS replies FROM comments WHERE id = $1',
      [parent.comment.id],
    );
    expect(Number(replies)).toBe(200);
    const audited: { n: number }[] = await t.dataSource.query(
      `SELECT count(*)::integer AS n FROM moderation_events
        WHERE comment_id = ANY($1::uuid[]) AND details ->> 'bulk' = 'true'`,
      [pending],
    );
    expect(audited[0].n).toBe(3000);
  }, 180_000);
});
