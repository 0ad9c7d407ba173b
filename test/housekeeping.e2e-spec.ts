import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Housekeeping } from '../src/common/housekeeping';
import { createTestApp, TestApp } from './support/app';
import { createArticle, postComment } from './factories/comments';

describe('housekeeping: what has expired is deleted off the request path', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  const keys = async (sql: string): Promise<string[]> =>
    (await t.dataSource.query<{ k: string }[]>(sql)).map((r) => r.k).sort();

  it('deletes rate-limit windows, double-submit claims and vote moves past their use, and keeps the rest', async () => {
    const article = await createArticle(t);
    const { comment } = await postComment(t, article.slug);
    await t.dataSource.query(
      `INSERT INTO rate_limit_buckets (key, window_start, count) VALUES
         ('test:old', now() - interval '25 hours', 3), ('test:current', now() - interval '1 hour', 3)`,
    );
    await t.dataSource.query(
      `INSERT INTO comment_body_claims (key, claimed_at) VALUES
         ('old', now() - interval '61 seconds'), ('current', now() - interval '30 seconds')`,
    );
    await t.dataSource.query(
      `INSERT INTO comment_vote_moves (comment_id, network_hash, article_id, moves, at) VALUES
         ($1, 'old', $2, 1, now() - interval '61 minutes'), ($1, 'current', $2, 1, now())`,
      [comment.id, article.id],
    );

    await t.app.get(Housekeeping).sweepNow();

    expect(await keys("SELECT key AS k FROM rate_limit_buckets WHERE key LIKE 'test:%'")).toEqual([
      'test:current',
    ]);
    expect(
      await keys("SELECT key AS k FROM comment_body_claims WHERE key IN ('old', 'current')"),
    ).toEqual(['current']);
    expect(await keys('SELECT network_hash AS k FROM comment_vote_moves')).toEqual(['current']);
  });
});
