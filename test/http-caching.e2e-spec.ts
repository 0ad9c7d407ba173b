import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CommentsRepository } from '../src/comments/comments.repository';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { PgNotifications } from '../src/database/pg-notifications';
import { weakEtag } from '../src/http/etag';

/** Issue 10.4: public reads a CDN and a browser can revalidate, and misses computed once. */
describe('HTTP caching of public reads', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp({ THREAD_CACHE_MS: '0' });
    article = await createArticle(t);
    await postComment(t, article.slug);
  });
  afterAll(() => t.close());

  for (const [label, path] of [
    ['an article', () => `/api/articles/${article.slug}`],
    ['a thread page', () => `/api/articles/${article.slug}/comments`],
  ] as const) {
    it(`${label}: a CDN may hold it briefly, an unchanged copy revalidates as a 304, a write changes it`, async () => {
      const first = await request(t.http).get(path()).expect(200);
      expect(first.headers['cache-control']).toBe('public, max-age=0, s-maxage=5');
      // Stale-while-revalidate for CDNs only: a browser honouring it would show a reader a page
      // older than their own write.
      expect(first.headers['cdn-cache-control']).toBe(
        'public, max-age=5, stale-while-revalidate=30',
      );
      const etag = first.headers.etag;
      expect(etag).toMatch(/^W\/"[^"]+"$/);

      const again = await request(t.http).get(path()).set('If-None-Match', etag).expect(304);
      expect(again.text).toBe('');
      expect(again.headers.etag).toBe(etag);

      await postComment(t, article.slug, { body: `news for ${label}` });
      const changed = await request(t.http).get(path()).set('If-None-Match', etag).expect(200);
      expect(changed.headers.etag).not.toBe(etag);
    });
  }

  it('keeps private answers out of shared caches', async () => {
    const admin = await request(t.http).get('/api/admin/articles').set(t.admin).expect(200);
    expect(admin.headers['cache-control'] ?? '').not.toContain('public');
    const posted = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send({ authorName: 'Private', authorEmail: 'private@example.com', body: 'mine alone' })
      .expect(201);
    expect(posted.headers['cache-control'] ?? '').not.toContain('public');
  });

  it('never lets a cache keep or replay a health answer', async () => {
    for (const path of ['/api/health', '/api/health/live']) {
      const first = await request(t.http).get(path).expect(200);
      expect(first.headers['cache-control']).toBe('no-store');
      expect(first.headers.etag).toBeUndefined();
      // A prober sending any validator still gets the instance's state now, never a 304.
      const again = await request(t.http)
        .get(path)
        .set('If-None-Match', weakEtag(first.text))
        .expect(200);
      expect(again.body).toEqual(first.body);
      await request(t.http).get(path).set('If-None-Match', '*').expect(200);
    }
  });
});

describe('a thread page kept in memory', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ THREAD_CACHE_MS: '60000' });
  });
  afterAll(() => t.close());

  it('concurrent misses of it are answered from one query, and a write in between is never served stale', async () => {
    const article = await createArticle(t);
    await postComment(t, article.slug, { authorName: 'Before' });
    const repo = t.app.get(CommentsRepository);
    const reads = vi.spyOn(repo, 'findThreadPageJson');
    const path = `/api/articles/${article.slug}/comments`;
    const pages = await Promise.all(
      Array.from({ length: 20 }, () => request(t.http).get(path).expect(200)),
    );
    expect(reads).toHaveBeenCalledTimes(1);
    expect(new Set(pages.map((p) => p.text)).size).toBe(1);

    await postComment(t, article.slug, { authorName: 'After' });
    const fresh = await request(t.http).get(path).expect(200);
    expect(
      (fresh.body as { items: { authorName: string }[] }).items.map((c) => c.authorName),
    ).toEqual(['After', 'Before']);
    expect(reads).toHaveBeenCalledTimes(2);
    reads.mockRestore();
  });

  it('carries the ETag of the body it sends, revalidates as a 304, and changes with a write', async () => {
    const article = await createArticle(t);
    await postComment(t, article.slug, { authorName: 'First' });
    const path = `/api/articles/${article.slug}/comments`;
    const loaded = await request(t.http).get(path).expect(200);
    const hit = await request(t.http).get(path).expect(200);
    expect(hit.text).toBe(loaded.text);
    expect(hit.headers.etag).toBe(weakEtag(hit.text));
    expect(loaded.headers.etag).toBe(hit.headers.etag);
    await request(t.http).get(path).set('If-None-Match', hit.headers.etag).expect(304);

    await postComment(t, article.slug, { authorName: 'Second' });
    const changed = await request(t.http)
      .get(path)
      .set('If-None-Match', hit.headers.etag)
      .expect(200);
    expect(changed.headers.etag).toBe(weakEtag(changed.text));
    expect(changed.headers.etag).not.toBe(hit.headers.etag);
  });
});

describe('a cached thread page near its expiry', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ THREAD_CACHE_MS: '800' });
    // The change feed would empty the cache on the SQL change below; without it (as while it
    // reconnects) only the expiry refreshes the page. test/scale-out.e2e-spec.ts covers the feed.
    await t.app.get(PgNotifications).onModuleDestroy();
  });
  afterAll(() => t.close());

  it('is served at once past half its time while one request refreshes it behind', async () => {
    const article = await createArticle(t);
    await postComment(t, article.slug, { authorName: 'Kept' });
    const reads = vi.spyOn(t.app.get(CommentsRepository), 'findThreadPageJson');
    const path = `/api/articles/${article.slug}/comments`;
    const names = async () =>
      ((await request(t.http).get(path).expect(200)).body as { items: { authorName: string }[] })
        .items[0].authorName;
    expect(await names()).toBe('Kept');
    await t.dataSource.query(
      "UPDATE comments SET author_name = 'Refreshed' WHERE article_id = $1",
      [article.id],
    );
    await new Promise((resolve) => setTimeout(resolve, 450));
    // Past half of THREAD_CACHE_MS: the kept page answers, and a refresh starts.
    expect(await names()).toBe('Kept');
    expect(reads).toHaveBeenCalledTimes(2);
    await vi.waitFor(async () => expect(await names()).toBe('Refreshed'), { timeout: 3000 });
    expect(reads).toHaveBeenCalledTimes(2);
    reads.mockRestore();
  });
});
