import request, { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { countersAndTruth } from './factories/moderation';
import { createTestApp, TestApp } from './support/app';

const voter = (round: number, n: number) => `contender-${round}-${String(n).padStart(8, '0')}`;

/**
 * Replays issue 9 point 3: votes, reports, replies, author edits and moderator decisions all at
 * once on one comment of one article. On main, reports locked the article row FOR UPDATE while
 * vote inserts held KEY SHARE on it through their foreign key: "deadlock detected" 500s, and the
 * pool starved so far that /api/health answered 503.
 */
describe('concurrent writers on one comment and one article', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    // A small pool, as in production per instance: starvation shows quickly.
    t = await createTestApp({ MODERATION: 'none', DATABASE_POOL_SIZE: '10' });
    article = await createArticle(t);
    await request(t.http)
      .put('/api/admin/settings/moderation')
      .set(t.admin)
      .send({ reportThreshold: 1000 })
      .expect(200);
  });
  afterAll(() => t.close());

  it('answers no 5xx and keeps /api/health at 200 throughout', async () => {
    const statuses: { what: string; status: number; body: unknown }[] = [];
    const healthStatuses: number[] = [];
    const record = (what: string) => (res: Response) => {
      statuses.push({ what, status: res.status, body: res.body });
    };

    for (let round = 0; round < 3; round++) {
      const { comment, editToken } = await postComment(t, article.slug);
      const sibling = await postComment(t, article.slug);
      let probing = true;
      const prober = (async () => {
        while (probing) {
          const res = await request(t.http).get('/api/health');
          healthStatuses.push(res.status);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 10; i++) {
        writes.push(
          request(t.http)
            .put(`/api/comments/${comment.id}/vote`)
            .set('X-Voter-Id', voter(round, i))
            .send({ value: i % 3 === 0 ? -1 : 1 })
            .then(record('vote')),
          request(t.http)
            .post(`/api/comments/${comment.id}/reports`)
            .set('X-Voter-Id', voter(round, 100 + i))
            .send({ reason: `report ${i}` })
            .then(record('report')),
          request(t.http)
            .put(`/api/comments/${sibling.comment.id}/vote`)
            .set('X-Voter-Id', voter(round, 200 + i))
            .send({ value: 1 })
            .then(record('sibling vote')),
        );
      }
      for (let i = 0; i < 5; i++) {
        writes.push(
          request(t.http)
            .post(`/api/articles/${article.slug}/comments`)
            .send({
              authorName: `Replier ${round}-${i}`,
              authorEmail: `replier-${round}-${i}@example.com`,
              body: `A reply ${round}-${i}`,
              parentId: i % 2 === 0 ? comment.id : sibling.comment.id,
            })
            .then(record('reply')),
          request(t.http)
            .post(`/api/articles/${article.slug}/comments`)
            .send({
              authorName: `Poster ${round}-${i}`,
              authorEmail: `poster-${round}-${i}@example.com`,
              body: `A top-level comment ${round}-${i}`,
            })
            .then(record('post')),
          request(t.http)
            .patch(`/api/comments/${comment.id}`)
            .set('X-Edit-Token', editToken)
            .send({ body: `Edited ${round}-${i}` })
            .then(record('edit')),
          request(t.http)
            .patch(`/api/admin/comments/${i % 2 === 0 ? comment.id : sibling.comment.id}`)
            .set(t.admin)
            .send({ status: i % 2 === 0 ? 'pending' : 'approved' })
            .then(record('decision')),
          request(t.http)
            .patch(`/api/admin/comments/${comment.id}`)
            .set(t.admin)
            .send({ status: 'approved' })
            .then(record('decision')),
        );
      }
      writes.push(
        request(t.http)
          .post('/api/admin/comments/bulk')
          .set(t.admin)
          .send({ ids: [comment.id, sibling.comment.id], status: 'approved' })
          .then(record('bulk')),
        request(t.http).get(`/api/articles/${article.slug}/comments`).then(record('read thread')),
      );
      await Promise.all(writes);
      probing = false;
      await prober;
    }

    const failures = statuses.filter((s) => s.status >= 500);
    const tally: Record<string, number> = {};
    for (const s of statuses) {
      tally[`${s.what} ${s.status}`] = (tally[`${s.what} ${s.status}`] ?? 0) + 1;
    }
    console.info(
      `answers: ${JSON.stringify(tally)}; health: ${healthStatuses.filter((s) => s !== 200).length} of ${healthStatuses.length} not 200`,
    );
    expect(failures).toEqual([]);
    expect(healthStatuses.length).toBeGreaterThan(0);
    expect(healthStatuses.filter((s) => s !== 200)).toEqual([]);
    // Whatever interleaving happened, the counters still tell the truth.
    const { stored, fresh } = await countersAndTruth(t, article.id);
    expect(stored).toEqual(fresh);
    const drift: unknown[] = await t.dataSource.query(
      `SELECT c.id FROM comments c
        WHERE c.article_id = $1 AND c.reply_count <> (
          SELECT count(*) FROM comments d WHERE c.id = ANY(d.path) AND d.status = 'approved')`,
      [article.id],
    );
    expect(drift).toEqual([]);
    const votes: unknown[] = await t.dataSource.query(
      `SELECT c.id FROM comments c CROSS JOIN LATERAL (
          SELECT count(*) FILTER (WHERE v.value = 1) AS up, count(*) FILTER (WHERE v.value = -1) AS down
            FROM comment_votes v WHERE v.comment_id = c.id) t
        WHERE c.article_id = $1 AND (c.up_count <> t.up OR c.down_count <> t.down)`,
      [article.id],
    );
    expect(votes).toEqual([]);
  }, 120_000);
});
