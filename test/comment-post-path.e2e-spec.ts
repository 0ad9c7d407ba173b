import { Client } from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TestApp } from './support/app';
import { createTestDatabase } from './support/postgres';
import { RoundTrips } from './support/round-trips';
import {
  commentInput,
  createArticle,
  postComment,
  seedComments,
  TestArticle,
} from './factories/comments';

describe('posting a comment: two statements, and no row every writer queues on', () => {
  let trips: RoundTrips;
  let t: TestApp;
  let direct: string;
  let article: TestArticle;
  let network = 0;
  const post = (overrides: Record<string, unknown> = {}) => {
    network += 1;
    return request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .set('X-Forwarded-For', `10.9.${network}.1`)
      .send(commentInput(overrides));
  };
  const count = async (slug: string): Promise<number> => {
    const res = await request(t.http).get(`/api/articles/${slug}`).expect(200);
    return (res.body as { commentCount: number }).commentCount;
  };

  beforeAll(async () => {
    trips = await RoundTrips.start();
    direct = await createTestDatabase();
    t = await createTestApp(
      { RATE_LIMIT: 'on', TRUST_PROXY_HOPS: '1' },
      { databaseUrl: trips.route(direct) },
    );
    article = await createArticle(t);
  });

  afterAll(async () => {
    await t?.close();
    trips?.stop();
  });

  it('takes two round trips when no feature has work for the arrival, limits and history kept', async () => {
    let id = '';
    const spent = await trips.of(async () => {
      const res = await post().expect(201);
      id = (res.body as { comment: { id: string } }).comment.id;
    });
    expect(spent).toBe(2);
    const history: { action: string; to_status: string }[] = await t.dataSource.query(
      'SELECT action, to_status FROM moderation_events WHERE comment_id = $1',
      [id],
    );
    expect(history).toEqual([{ action: 'comment.arrive', to_status: 'approved' }]);
    const buckets: { n: number }[] = await t.dataSource.query(
      "SELECT count(*)::int AS n FROM rate_limit_buckets WHERE key LIKE 'comment:post:%'",
    );
    expect(buckets[0].n).toBeGreaterThanOrEqual(2);
    expect(await count(article.slug)).toBe(1);
  });

  it('takes two round trips on every post, however many came before: sweeps are not a request’s work', async () => {
    const many = await createArticle(t);
    const spent = await trips.of(async () => {
      for (let i = 0; i < 120; i += 1) {
        network += 1;
        await request(t.http)
          .post(`/api/articles/${many.slug}/comments`)
          .set('X-Forwarded-For', `10.8.${network % 250}.${1 + Math.floor(network / 250)}`)
          .send(commentInput())
          .expect(201);
      }
    });
    expect(spent).toBe(240);
  });

  it('sends the text of its statements once per connection: later posts run them by name', async () => {
    const posts = async (n: number) => {
      for (let i = 0; i < n; i += 1) {
        await post().expect(201);
      }
    };
    // One connection at a time answers these posts, one after the other; the first ones on a
    // connection prepare its statements.
    await posts(3);
    expect(await trips.parsesOf(() => posts(5))).toBe(0);
  });

  it('has PostgreSQL plan its statements once per connection, on a site of many comments', async () => {
    // Thousands of comments elsewhere: with them, a statement costed for an array of ancestors
    // passed in was costed above a plan made for the actual ones, and PostgreSQL planned every
    // post anew (3.2 -> 1.0 ms of its CPU a post in the bench).
    const elsewhere = await createArticle(t);
    await seedComments(t, elsewhere.id, 20000);
    // One post after another, top-level comments and replies at two depths: each takes the
    // connection the last one gave back (pg's pool reuses the most recent), and so does the
    // query that reads its prepared statements.
    let parent: string | undefined;
    for (let i = 0; i < 30; i += 1) {
      const res = await post(i % 3 === 0 ? {} : { parentId: parent }).expect(201);
      parent = i % 3 === 2 ? undefined : (res.body as { comment: { id: string } }).comment.id;
    }
    const plans: { statement: string; generic_plans: string; custom_plans: string }[] =
      await t.dataSource.query(
        `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
          WHERE name LIKE 'mg\\_%'`,
      );
    // The context read, a top-level comment's write and a reply's write.
    expect(plans).toHaveLength(3);
    for (const plan of plans) {
      // PostgreSQL makes five plans for the values given before it weighs a reusable one.
      expect(Number(plan.custom_plans), plan.statement.slice(0, 80)).toBeLessThanOrEqual(5);
      expect(Number(plan.generic_plans)).toBeGreaterThanOrEqual(5);
    }
  });

  it('writes in a transaction with the listeners when a follower must hear of it', async () => {
    const followed = await createArticle(t);
    await t.dataSource.query(
      `INSERT INTO subscriptions (id, kind, email, email_key, article_id, status,
         unsubscribe_token_hash, consent_at, consent_source, consent_text_version, confirmed_at)
       VALUES (gen_random_uuid(), 'followups', 'follower@example.com', 'follower@example.com',
         $1, 'confirmed', md5(random()::text), now(), 'test', 'test', now())`,
      [followed.id],
    );
    let id = '';
    const spent = await trips.of(async () => {
      id = (await postComment(t, followed.slug)).comment.id;
    });
    expect(spent).toBeGreaterThan(2);
    const notified: { n: number }[] = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM comment_notifications WHERE comment_id = $1',
      [id],
    );
    expect(notified[0].n).toBe(1);
  });

  it('asks for the subscription a writer chose, in the same write', async () => {
    await post({ authorEmail: 'chooser@example.com', notify: 'replies' }).expect(201);
    const rows: { status: string }[] = await t.dataSource.query(
      "SELECT status FROM subscriptions WHERE email = 'chooser@example.com' AND kind = 'replies'",
    );
    expect(rows).toEqual([{ status: 'pending' }]);
  });

  it('is not held up by another transaction holding the article row', async () => {
    const editor = new Client({ connectionString: direct });
    await editor.connect();
    try {
      await editor.query('BEGIN');
      // An editor saving the article: its row stays locked until that transaction ends.
      await editor.query('UPDATE articles SET title = title WHERE id = $1', [article.id]);
      const before = await count(article.slug);
      const outcome = await Promise.race([
        post().then((res) => res.status),
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 10_000)),
      ]);
      expect(outcome).toBe(201);
      expect(await count(article.slug)).toBe(before + 1);
    } finally {
      await editor.query('ROLLBACK');
      await editor.end();
    }
  });

  it('counts exactly when many post to one article at once, spread over its counter shards', async () => {
    const busy = await createArticle(t);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        network += 1;
        return request(t.http)
          .post(`/api/articles/${busy.slug}/comments`)
          .set('X-Forwarded-For', `10.8.${network}.1`)
          .send(commentInput(i % 4 === 0 ? { anchor: { blockId: busy.blocks[0].id } } : {}));
      }),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(40).fill(201));
    const res = await request(t.http).get(`/api/articles/${busy.slug}`).expect(200);
    const body = res.body as { commentCount: number; blocks: { inlineCount: number }[] };
    expect(body.commentCount).toBe(40);
    expect(body.blocks[0].inlineCount).toBe(10);
    const shards: { n: number }[] = await t.dataSource.query(
      "SELECT count(*)::int AS n FROM article_counts WHERE article_id = $1 AND block_id = ''",
      [busy.id],
    );
    expect(shards[0].n).toBeGreaterThan(1);
  });
});
