import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';

const SEED_SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

describe('articles', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves the seed article with its 23 paragraphs and no footer lines', async () => {
    const res = await request(t.http).get(`/api/articles/${SEED_SLUG}`).expect(200);
    expect(res.body.title).toBe('China seeks partnership with Turkey in combating terrorism');
    expect(res.body.blocks).toHaveLength(23);
    expect(res.body.commentCount).toBe(0);
    expect(res.body.blocks[0].text).toMatch(/^Chinese President Xi Jinping has invited/);
    expect(res.body.blocks[22].text).toMatch(/he concluded\.$/);
    const all = res.body.blocks.map((b: { text: string }) => b.text).join('\n');
    for (const footer of ['Subscribe to our newsletter', 'Notify of', 'Inline Feedbacks']) {
      expect(all).not.toContain(footer);
    }
    const ids = new Set(res.body.blocks.map((b: { id: string }) => b.id));
    expect(ids.size).toBe(23);
    expect(res.body.blocks.every((b: { inlineCount: number }) => b.inlineCount === 0)).toBe(true);
  });

  it('lists published articles without blocks', async () => {
    const res = await request(t.http).get('/api/articles').expect(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items.map((a: { slug: string }) => a.slug)).toEqual([SEED_SLUG]);
    expect(res.body.items[0].blocks).toBeUndefined();
  });

  it('answers 404 as JSON for an unknown article', async () => {
    const res = await request(t.http).get('/api/articles/no-such-thing').expect(404);
    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'article not found',
    });
  });
});
