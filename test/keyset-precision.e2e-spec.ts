import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';
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

  /** Every id of every page, in order; stops after enough pages to have seen everything twice. */
  async function pageThrough(path: string, headers: Record<string, string> = {}) {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < (2 * N) / LIMIT + 20; pages += 1) {
      const url = `${path}${path.includes('?') ? '&' : '?'}limit=${LIMIT}${
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
});
