import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeFeed } from '../src/database/change-feed';
import { ReadReplica } from '../src/database/read-replica';
import { commentInput, createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { createTestDatabase } from './support/postgres';

type Thread = { items: { id: string; authorName: string }[]; total: number };

const thread = async (t: TestApp, slug: string, cookie?: string): Promise<Thread> => {
  const req = request(t.http).get(`/api/articles/${slug}/comments`);
  if (cookie) {
    req.set('Cookie', cookie);
  }
  return (await req.expect(200)).body as Thread;
};

/** Polls until `seen` holds; returns how long it took (ms), or throws after `ms`. */
async function timeUntil(seen: () => Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await seen()) {
      return Date.now() - start;
    }
    if (Date.now() - start > ms) {
      throw new Error(`not seen within ${ms} ms`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('several instances on one database: the change feed empties every thread cache', () => {
  let a: TestApp;
  let b: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    // A cache that would hold a page for a minute: only a notification can make B see a change.
    const databaseUrl = await createTestDatabase();
    a = await createTestApp({ THREAD_CACHE_MS: '60000' }, { databaseUrl });
    b = await createTestApp({ THREAD_CACHE_MS: '60000' }, { databaseUrl });
    await Promise.all([a.app.get(ChangeFeed).listening(), b.app.get(ChangeFeed).listening()]);
    article = await createArticle(a);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a comment posted through one instance is in the other instance’s thread page within ~100 ms', async () => {
    expect((await thread(b, article.slug)).total).toBe(0);
    const posted = await postComment(a, article.slug, { authorName: 'Across' });
    const ms = await timeUntil(
      async () => (await thread(b, article.slug)).items.some((c) => c.id === posted.comment.id),
      2000,
    );
    console.log(`cross-instance cache invalidation: seen after ${ms} ms`);
    expect(ms).toBeLessThan(250);
  });

  it('a change made by no instance at all (SQL, another tool) empties the caches too', async () => {
    expect((await thread(b, article.slug)).items[0].authorName).toBe('Across');
    await a.dataSource.query("UPDATE comments SET author_name = 'Renamed in SQL'");
    await timeUntil(
      async () => (await thread(b, article.slug)).items[0].authorName === 'Renamed in SQL',
      1000,
    );
  });

  it('a change announced for one article drops that article’s pages only', async () => {
    const other = await createArticle(a);
    await postComment(a, other.slug, { authorName: 'Other' });
    await timeUntil(async () => (await thread(b, other.slug)).total === 1, 1000);
    expect((await thread(b, article.slug)).items[0].authorName).toBe('Renamed in SQL');
    // A change to the first article that is not announced (triggers off for this transaction):
    // only the expiry or a notification about that article could bring it into b's page.
    await a.dataSource.transaction(async (m) => {
      await m.query('SET LOCAL session_replication_role = replica');
      await m.query("UPDATE comments SET author_name = 'Unannounced' WHERE article_id = $1", [
        article.id,
      ]);
    });
    await a.dataSource.query(
      "UPDATE comments SET author_name = 'Announced' WHERE article_id = $1",
      [other.id],
    );
    await timeUntil(
      async () => (await thread(b, other.slug)).items[0].authorName === 'Announced',
      1000,
    );
    expect((await thread(b, article.slug)).items[0].authorName).toBe('Renamed in SQL');
  });

  it('a writer carries a short-lived cookie that sends its reads around the caches and to the primary', async () => {
    const res = await request(a.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send(commentInput({ authorName: 'Writer' }))
      .expect(201);
    const cookie = res.headers['set-cookie'] as unknown as string[];
    expect(cookie).toHaveLength(1);
    expect(cookie[0]).toMatch(
      /^marginalia_fresh=\d+; Max-Age=5; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/,
    );
    // Read at once through the other instance, before any notification could have arrived.
    const seen = await thread(b, article.slug, cookie[0].split(';')[0]);
    expect(seen.items.map((c) => c.authorName)).toContain('Writer');
    // Reads and non-comment writes hand out no cookie.
    const read = await request(b.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    expect(read.headers['set-cookie']).toBeUndefined();
  });

  it('the feed carries the comment, its article and its new status for live consoles', async () => {
    const heard: unknown[] = [];
    const stop = b.app.get(ChangeFeed).subscribe((change) => heard.push(change));
    const posted = await postComment(a, article.slug, { authorName: 'Live' });
    await a.dataSource.query("UPDATE comments SET status = 'trash' WHERE id = $1", [
      posted.comment.id,
    ]);
    await timeUntil(
      () => Promise.resolve(heard.some((c) => (c as { status?: string }).status === 'trash')),
      1000,
    );
    stop();
    // Stored in its final status at once; its counters move in article_counts, not the article.
    expect(heard).toContainEqual({
      table: 'comments',
      op: 'INSERT',
      articleId: article.id,
      commentId: posted.comment.id,
      status: 'approved',
    });
    expect(heard).toContainEqual({
      table: 'comments',
      op: 'UPDATE',
      articleId: article.id,
      commentId: posted.comment.id,
      status: 'trash',
    });
  });
});

describe('DATABASE_READ_URL', () => {
  it('a replica that cannot be reached leaves every public read on the primary', async () => {
    const t = await createTestApp({
      DATABASE_READ_URL: 'postgres://nobody@127.0.0.1:1/none',
      THREAD_CACHE_MS: '0',
    });
    try {
      const article = await createArticle(t);
      await postComment(t, article.slug, { authorName: 'Still here' });
      await new Promise((r) => setTimeout(r, 500));
      expect(t.app.get(ReadReplica).status()).toMatchObject({ configured: true, healthy: false });
      expect((await thread(t, article.slug)).items[0].authorName).toBe('Still here');
      await request(t.http).get(`/api/articles/${article.slug}`).expect(200);
      await request(t.http).get(`/api/articles/${article.slug}/comments/count`).expect(200);
      await request(t.http).get('/api/articles').expect(200);
      await request(t.http).get(`/articles/${article.slug}`).expect(200);
    } finally {
      await t.close();
    }
  });

  it('a read URL that is no standby (a primary) never lags and serves the public reads', async () => {
    const databaseUrl = await createTestDatabase();
    const t = await createTestApp({ DATABASE_READ_URL: databaseUrl }, { databaseUrl });
    try {
      const article = await createArticle(t);
      await timeUntil(() => Promise.resolve(t.app.get(ReadReplica).status().healthy), 3000);
      expect(t.app.get(ReadReplica).status().lagMs).toBeLessThan(1000);
      await postComment(t, article.slug, { authorName: 'Read back' });
      expect((await thread(t, article.slug)).items[0].authorName).toBe('Read back');
    } finally {
      await t.close();
    }
  });

  it('serves exactly the public GETs from the read URL: not writes, admin reads or fresh writers', async () => {
    // Two databases telling apart who answered: the "replica" (no standby, so it never lags)
    // holds its own copy of the article under the same slug, with other comments.
    const slug = 'routed-article';
    const replicaUrl = await createTestDatabase();
    const seeded = await createTestApp({}, { databaseUrl: replicaUrl });
    const primaryUrl = await createTestDatabase();
    const t = await createTestApp(
      { DATABASE_READ_URL: replicaUrl, THREAD_CACHE_MS: '60000' },
      { databaseUrl: primaryUrl },
    );
    try {
      for (const [app, copy] of [
        [seeded, 'Replica'],
        [t, 'Primary'],
      ] as const) {
        await request(app.http)
          .post('/api/admin/articles')
          .set(app.admin)
          .send({ slug, title: `${copy} copy`, body: 'One paragraph.', status: 'published' })
          .expect(201);
      }
      const onReplica = await postComment(seeded, slug, { authorName: 'On the replica' });
      await seeded.close();
      const root = await postComment(t, slug, { authorName: 'On the primary' });
      await postComment(t, slug, { authorName: 'Replying', parentId: root.comment.id });
      await timeUntil(() => Promise.resolve(t.app.get(ReadReplica).status().healthy), 3000);
      const get = (path: string, cookie?: string) => {
        const req = request(t.http).get(path);
        return (cookie ? req.set('Cookie', cookie) : req).expect(200);
      };
      const names = (body: unknown) => (body as Thread).items.map((c) => c.authorName);

      // Public GETs: the replica.
      expect((await get(`/api/articles/${slug}`)).body).toMatchObject({ title: 'Replica copy' });
      const list = (await get('/api/articles')).body as { items: { title: string }[] };
      expect(list.items.map((a) => a.title)).toContain('Replica copy');
      expect(list.items.map((a) => a.title)).not.toContain('Primary copy');
      expect(names((await get(`/api/articles/${slug}/comments`)).body)).toEqual(['On the replica']);
      expect((await get(`/api/articles/${slug}/comments/count`)).body).toMatchObject({ total: 1 });
      // The comment is looked up on the primary, its descendants read from the replica.
      expect((await get(`/api/comments/${root.comment.id}/replies`)).body).toMatchObject({
        items: [],
      });
      expect((await get('/feed/comments.atom')).text).toContain(onReplica.comment.id);
      expect((await get(`/articles/${slug}/comments.atom`)).text).toContain('On the replica');
      const page = (await get(`/articles/${slug}`)).text;
      expect(page).toContain('<h1>Replica copy</h1>');
      expect(page).toContain('On the replica');
      expect((await get('/')).text).toContain('<h1>Replica copy</h1>');

      // POSTs, admin reads and pages shown again after a form post: the primary.
      const counts = await request(t.http)
        .post('/api/comments/counts')
        .send({ slugs: [slug] })
        .expect(200);
      expect(counts.body).toEqual({ [slug]: 2 });
      const admin = await request(t.http).get(`/api/admin/articles/${slug}`).set(t.admin);
      expect(admin.body).toMatchObject({ title: 'Primary copy' });
      const refused = await request(t.http)
        .post(`/articles/${slug}/comments`)
        .type('form')
        .send({ authorName: 'No body', authorEmail: 'nobody@example.com', body: '' })
        .expect(400);
      expect(refused.text).toContain('<h1>Primary copy</h1>');
      expect(refused.text).toContain('On the primary');

      // A client that has just written (the cookie a write hands out): the primary, and around
      // the thread cache, which holds the replica's page.
      expect(names((await get(`/api/articles/${slug}/comments`)).body)).toEqual(['On the replica']);
      const fresh = `marginalia_fresh=${Date.now() + 10_000}`;
      expect(names((await get(`/api/articles/${slug}/comments`, fresh)).body)).toEqual([
        'On the primary',
      ]);
      expect((await get(`/api/articles/${slug}`, fresh)).body).toMatchObject({
        title: 'Primary copy',
      });
      expect((await get(`/articles/${slug}`, fresh)).text).toContain('<h1>Primary copy</h1>');
      expect(names((await get(`/api/articles/${slug}/comments`)).body)).toEqual(['On the replica']);
    } finally {
      await t.close();
    }
  });
});
