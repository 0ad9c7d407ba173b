import { AsyncLocalStorage, executionAsyncId } from 'node:async_hooks';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadReplica } from '../src/database/read-replica';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { createTestDatabase } from './support/postgres';

/**
 * The async id a promise continuation runs under: 0 unless promise hooks are on, which give
 * every promise an id of its own. On Node < 24 the first AsyncLocalStorage.run (or any enabled
 * async hook) turns them on for the whole process, and every promise anywhere then pays for it.
 */
async function continuationAsyncId(): Promise<number> {
  await Promise.resolve();
  return executionAsyncId();
}

/** This file runs in a process of its own (vitest's forks pool): nothing else turned them on. */
describe('serving requests leaves promise hooks off', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    expect(await continuationAsyncId()).toBe(0);
    // A read URL naming the primary itself: public reads take the replica's path too.
    const databaseUrl = await createTestDatabase();
    t = await createTestApp(
      { DATABASE_READ_URL: databaseUrl, THREAD_CACHE_MS: '1000' },
      { databaseUrl },
    );
    article = await createArticle(t);
    const replica = t.app.get(ReadReplica);
    for (let waited = 0; !replica.status().healthy; waited += 10) {
      if (waited > 3000) {
        throw new Error('the read URL never became usable');
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  afterAll(() => t?.close());

  it('after public GETs, comment POSTs and a fresh writer’s reads', async () => {
    await request(t.http).get(`/api/articles/${article.slug}`).expect(200);
    await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    await request(t.http).get(`/articles/${article.slug}`).expect(200);
    await request(t.http).get('/feed/comments.atom').expect(200);
    const posted = await postComment(t, article.slug, { authorName: 'Hookless' });
    const write = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send({ authorName: 'Fresh', authorEmail: 'fresh@example.com', body: 'Just written' })
      .expect(201);
    const cookie = (write.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const seen = await request(t.http)
      .get(`/api/articles/${article.slug}/comments`)
      .set('Cookie', cookie)
      .expect(200);
    expect((seen.body as { total: number }).total).toBe(2);
    await request(t.http).get(`/api/comments/${posted.comment.id}/replies`).expect(200);

    expect(await continuationAsyncId()).toBe(0);
  });

  // Last: it turns them on in this process. Without it the test above could pass for nothing.
  it('while the probe does see them once an AsyncLocalStorage has run', async () => {
    const storage = new AsyncLocalStorage<true>();
    storage.run(true, () => undefined);
    expect(await continuationAsyncId()).not.toBe(0);
    storage.disable();
  });
});
