import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commentInput, createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

describe('comment rate limits (RATE_LIMIT=on)', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    // One proxy hop is believed, so each test can act as its own client through X-Forwarded-For.
    // The per-network vote cap (VOTES_PER_NETWORK_PER_HOUR) is off here, to see the per-IP limit
    // alone; test/abuse.e2e-spec.ts tests the cap.
    t = await createTestApp({
      RATE_LIMIT: 'on',
      TRUST_PROXY_HOPS: '1',
      VOTES_PER_NETWORK_PER_HOUR: '0',
    });
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  // Limits are fixed one-minute windows: a test that straddled a window boundary would see its
  // count reset, so each test starts with at least 10 seconds of its window left.
  beforeEach(async () => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, left + 50));
    }
  });

  const post = (ip: string, overrides: Record<string, unknown> = {}) =>
    request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .set('X-Forwarded-For', ip)
      .send(commentInput(overrides));

  it('allows 5 comments a minute per IP, then answers 429 with Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      await post('203.0.113.1').expect(201);
    }
    const res = await post('203.0.113.1').expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(res.body).toMatchObject({ statusCode: 429 });
    await post('203.0.113.2').expect(201);
  });

  it('limits per email address across IPs', async () => {
    for (let i = 0; i < 5; i++) {
      await post(`198.51.100.${i + 1}`, { authorEmail: 'busy@example.com' }).expect(201);
    }
    await post('198.51.100.50', { authorEmail: 'Busy@Example.com' }).expect(429);
    await post('198.51.100.51', { authorEmail: 'calm@example.com' }).expect(201);
  });

  it('limits votes per IP (60 a minute)', async () => {
    const { comment } = await postComment(t, article.slug);
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) {
      const res = await request(t.http)
        .put(`/api/comments/${comment.id}/vote`)
        .set('X-Forwarded-For', '192.0.2.77')
        .set('X-Voter-Id', `voter-rate-${String(i).padStart(6, '0')}`)
        .send({ value: 1 });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 60).every((s) => s === 200)).toBe(true);
    expect(statuses[60]).toBe(429);
  });

  it('limits edits and deletes of one comment with its token (20 a minute)', async () => {
    const posted = await post('192.0.2.90').expect(201);
    const { comment, editToken } = posted.body;
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await request(t.http)
        .patch(`/api/comments/${comment.id}`)
        .set('X-Forwarded-For', '192.0.2.91')
        .set('X-Edit-Token', editToken)
        .send({ body: `edit ${i}` });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
    await request(t.http)
      .delete(`/api/comments/${comment.id}`)
      .set('X-Forwarded-For', '192.0.2.91')
      .set('X-Edit-Token', editToken)
      .expect(429);
  });
});
