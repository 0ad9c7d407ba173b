import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';
import { OutboxRepository } from '../src/mail/outbox.repository';
import { createArticle } from './factories/comments';

/**
 * Issue 9 §12: rows written by one transaction share one timestamp, to the microsecond. A cursor
 * that carries less than the column's precision skips (descending) or repeats (ascending) them.
 * Each list below gets N such rows inserted in one statement, then is paged with a small limit:
 * every row must be seen exactly once.
 */
const N = 23;
const LIMIT = 5;
// One transaction's now(), with microseconds that a millisecond cursor cannot carry.
const SHARED = '2026-03-01T10:00:00.123456Z';

interface ListPage {
  items: { id: string }[];
  nextCursor: string | null;
}

describe('keyset lists carry the full precision of what they order by', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** Every id of every page, in order; gives up after 200 pages (a cursor that repeats rows). */
  async function pageThrough(path: string, headers: Record<string, string> = {}, limit = LIMIT) {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 200; pages += 1) {
      const url = `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${
        cursor ? `&cursor=${cursor}` : ''
      }`;
      const res = await request(t.http).get(url).set(headers);
      expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(200);
      const page = res.body as ListPage;
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      if (!cursor) {
        break;
      }
    }
    return seen;
  }

  function expectEachOnce(seen: string[], inserted: string[]) {
    const counts = new Map<string, number>();
    for (const id of seen) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(inserted.filter((id) => counts.get(id) !== 1)).toEqual([]);
    expect(seen.length).toBe(new Set(seen).size);
  }

  const ids = () => Array.from({ length: N }, () => randomUUID());

  it('GET /api/admin/emails: a newsletter issue queued in one transaction', async () => {
    const inserted = ids();
    await t.dataSource.query(
      `INSERT INTO email_outbox (id, idempotency_key, stream, template, recipient, payload,
         created_at, updated_at)
       SELECT id, 'precision:' || id, 'newsletter', 'newsletter-issue',
         'reader' || ord || '@example.com', '{}', $2, $2
       FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)`,
      [inserted, SHARED],
    );
    expectEachOnce(await pageThrough('/api/admin/emails', t.admin), inserted);
    expectEachOnce(await pageThrough('/api/admin/emails?status=queued', t.admin), inserted);
  });

  it('GET /api/admin/subscribers: subscriptions confirmed by one import', async () => {
    const inserted = ids();
    await t.dataSource.query(
      `INSERT INTO subscriptions (id, kind, email, email_key, status, unsubscribe_token_hash,
         consent_at, consent_source, consent_text_version, created_at)
       SELECT id, 'newsletter', 'sub' || ord || '@example.com', 'sub' || ord || '@example.com',
         'confirmed', 'precision-' || id, $2, 'import', 'v1', $2
       FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)`,
      [inserted, SHARED],
    );
    expectEachOnce(await pageThrough('/api/admin/subscribers', t.admin), inserted);
  });

  async function insertArticles(): Promise<string[]> {
    const inserted = ids();
    await t.dataSource.query(
      `INSERT INTO articles (id, slug, title, body_source, status, published_at, created_at)
       SELECT id, 'precision-' || ord, 'Precision ' || ord, 'Text.', 'published', $2, $2
       FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)`,
      [inserted, SHARED],
    );
    return inserted;
  }

  it('GET /api/articles and GET /api/admin/articles: articles published together', async () => {
    const inserted = await insertArticles();
    expectEachOnce(await pageThrough('/api/articles'), inserted);
    expectEachOnce(await pageThrough('/api/admin/articles', t.admin), inserted);
  });

  /** N comments under one article written in one statement; replies under `parent` if given. */
  async function insertComments(
    articleId: string,
    status: 'approved' | 'pending',
    parent?: string,
  ): Promise<string[]> {
    const inserted = ids();
    await t.dataSource.query(
      `INSERT INTO comments (id, article_id, parent_id, root_id, depth, path, author_name,
         author_email, author_email_hash, body_source, body_html, render_version, status,
         edit_token_hash, editable_until, created_at)
       SELECT id, $2, $4::uuid, COALESCE($4::uuid, id), CASE WHEN $4::uuid IS NULL THEN 0 ELSE 1 END,
         CASE WHEN $4::uuid IS NULL THEN '{}'::uuid[] ELSE ARRAY[$4::uuid] END,
         'Reader ' || ord, 'r' || ord || '@example.com', 'hash-' || ord,
         'same moment ' || ord, '<p>same moment ' || ord || '</p>', 1, $3,
         'x', $5, $5
       FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)`,
      [inserted, articleId, status, parent ?? null, SHARED],
    );
    return inserted;
  }

  it.each(['newest', 'oldest', 'top'])(
    'GET /api/articles/:slug/comments?sort=%s: comments of one moment',
    async (sort) => {
      const article = await createArticle(t);
      const inserted = await insertComments(article.id, 'approved');
      expectEachOnce(
        await pageThrough(`/api/articles/${article.slug}/comments?sort=${sort}`),
        inserted,
      );
    },
  );

  it('GET /api/comments/:id/replies: replies of one moment', async () => {
    const article = await createArticle(t);
    const [root] = await insertComments(article.id, 'approved');
    await t.dataSource.query(
      "UPDATE comments SET created_at = created_at - interval '1 hour' WHERE id = $1",
      [root],
    );
    const replies = await insertComments(article.id, 'approved', root);
    await t.dataSource.query('UPDATE comments SET reply_count = $2 WHERE id = $1', [root, N]);
    expectEachOnce(await pageThrough(`/api/comments/${root}/replies`), replies);
  });

  it('GET /api/admin/comments?status=pending: the moderation queue', async () => {
    const article = await createArticle(t);
    const inserted = await insertComments(article.id, 'pending');
    expectEachOnce(
      await pageThrough(`/api/admin/comments?status=pending&article=${article.slug}`, t.admin),
      inserted,
    );
  });

  it('GET /api/admin/comments/:id/events: events written by one transaction', async () => {
    const article = await createArticle(t);
    const [comment] = await insertComments(article.id, 'approved');
    await t.dataSource.query(
      `INSERT INTO moderation_events (comment_id, article_id, actor, action, reason, created_at)
       SELECT $1, $2, 'reader reports', 'report', 'reason ' || n, $3
       FROM generate_series(1, $4::int) AS n`,
      [comment, article.id, SHARED, N],
    );
    const res = await request(t.http).get(`/api/admin/comments/${comment}/events`).set(t.admin);
    expect(res.status).toBe(200);
    const reasons = (res.body as { items: { reason: string }[] }).items.map((e) => e.reason);
    expect(reasons).toEqual(Array.from({ length: N }, (_, i) => `reason ${i + 1}`));
    expect((res.body as ListPage).nextCursor).toBeNull();
  });

  it('a dispatcher killed mid-issue: every row is listed, and the ambiguous ones are counted', async () => {
    const subscribers = Array.from({ length: 600 }, () => randomUUID());
    await t.dataSource.query(
      `INSERT INTO subscriptions (id, kind, email, email_key, status, unsubscribe_token_hash,
         consent_at, consent_source, consent_text_version)
       SELECT id, 'newsletter', 'issue' || ord || '@example.com', 'issue' || ord || '@example.com',
         'confirmed', 'issue-' || id, now(), 'import', 'v1'
       FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)`,
      [subscribers],
    );
    const queued = await request(t.http)
      .post('/api/admin/newsletter/issues')
      .set(t.admin)
      .send({ subject: 'Issue 42', body: 'Hello.' });
    expect(queued.status).toBe(202);
    const { id: issueId, recipients } = queued.body as { id: string; recipients: number };
    expect(recipients).toBeGreaterThanOrEqual(600);
    // The rows of one batch share one transaction's timestamp.
    const [{ times }] = await t.dataSource.query(
      `SELECT count(DISTINCT created_at)::int AS times FROM email_outbox
        WHERE idempotency_key LIKE 'newsletter:' || $1 || ':%'`,
      [issueId],
    );
    expect(times).toBe(1);
    // A dispatcher killed mid-send leaves 15 rows "sending" under a lease nobody renews; the
    // next dispatcher to start reclaims them as ambiguous (it cannot know whether they went).
    await t.dataSource.query(
      `UPDATE email_outbox SET status = 'sending', attempts = 1, lease_owner = 'killed',
         lease_until = now() - interval '1 second'
       WHERE id IN (SELECT id FROM email_outbox WHERE idempotency_key LIKE 'newsletter:' || $1 || ':%'
                    ORDER BY id LIMIT 15)`,
      [issueId],
    );
    expect(await t.app.get(OutboxRepository).reclaimExpiredLeases()).toEqual({
      requeued: 0,
      ambiguous: 15,
    });

    const stats = await request(t.http).get('/api/admin/emails/stats').set(t.admin);
    expect(stats.status).toBe(200);
    expect(stats.body.byStatus).toMatchObject({ ambiguous: 15 });
    expect(stats.body.total).toBe(
      Object.values(stats.body.byStatus as Record<string, number>).reduce((a, b) => a + b, 0),
    );

    const issue = await request(t.http).get(`/api/admin/newsletter/issues/${issueId}`).set(t.admin);
    expect(issue.status).toBe(200);
    expect(issue.body).toMatchObject({
      id: issueId,
      subject: 'Issue 42',
      recipients,
      emails: { queued: recipients - 15, ambiguous: 15, sent: 0 },
    });

    const ambiguous = await pageThrough('/api/admin/emails?status=ambiguous', t.admin);
    expect(new Set(ambiguous).size).toBe(15);
    expect(ambiguous).toHaveLength(15);
    const [{ ids }] = await t.dataSource.query(
      `SELECT array_agg(id::text) AS ids FROM email_outbox
        WHERE idempotency_key LIKE 'newsletter:' || $1 || ':%'`,
      [issueId],
    );
    const everything = await pageThrough('/api/admin/emails', t.admin, 100);
    expectEachOnce(everything, ids as string[]);

    const unknown = await request(t.http)
      .get(`/api/admin/newsletter/issues/${randomUUID()}`)
      .set(t.admin);
    expect(unknown.status).toBe(404);
  });
});
