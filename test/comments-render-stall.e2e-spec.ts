import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

const HOSTILE = [
  '**'.repeat(2499) + 'a' + '**'.repeat(2499),
  '*'.repeat(4999) + 'a' + '*'.repeat(4999),
  '_'.repeat(4999) + 'a' + '_'.repeat(4999),
  '*x '.repeat(1666) + 'a' + ' x*'.repeat(1666),
  '['.repeat(10000),
  '>'.repeat(9999) + 'a',
];

/**
 * Issue 9, point 2: a 10,000-character body of nested emphasis took 1-2 s to sanitize (5-9 s on
 * a loaded machine), blocking the whole process, health checks included; edits re-render, so
 * one client could stall the server again and again. Here health keeps answering while such
 * bodies are posted and edited.
 */
describe('hostile bodies do not stall the process', { timeout: 120_000 }, () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  it('health answers quickly while hostile bodies are posted and edited', async () => {
    const latencies: number[] = [];
    let writing = true;
    const probe = (async () => {
      while (writing) {
        const start = performance.now();
        await request(t.http).get('/api/health').expect(200);
        latencies.push(performance.now() - start);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      for (const [i, body] of HOSTILE.entries()) {
        const { comment, editToken } = await postComment(t, article.slug, { body });
        expect(comment.bodyHtml).toMatch(/^<(p|blockquote)>/);
        const edited = await request(t.http)
          .patch(`/api/comments/${comment.id}`)
          .set('X-Edit-Token', editToken)
          .send({ body: HOSTILE[(i + 1) % HOSTILE.length] })
          .expect(200);
        expect(edited.body.bodyHtml.length).toBeGreaterThan(0);
      }
    } finally {
      writing = false;
      await probe;
    }
    expect(latencies.length).toBeGreaterThan(5);
    // On main a single render here held the event loop for seconds.
    expect(Math.max(...latencies)).toBeLessThan(500);
  });
});
