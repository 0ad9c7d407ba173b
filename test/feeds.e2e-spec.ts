import { parseFeed } from '@rowanmanning/feed-parser';
import { SaxesParser } from 'saxes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TestApp } from './support/app';

const SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';
const HOSTILE = 'Nice <script>alert(1)</script> & ]]> <img src=x onerror=alert(2)> **bold**';

/** Throws unless the text is well-formed XML (a strict parser, unlike most feed readers). */
function wellFormed(xml: string): void {
  const parser = new SaxesParser({ xmlns: true });
  parser.on('error', (e) => {
    throw e;
  });
  parser.write(xml).close();
}

describe('Atom feeds of approved comments', () => {
  let t: TestApp;
  let approvedId: string;
  let heldId: string;

  beforeAll(async () => {
    t = await createTestApp();
    const approved = await request(t.http)
      .post(`/api/articles/${SLUG}/comments`)
      .send({ authorName: 'Eve <b>& co</b>', authorEmail: 'eve@example.com', body: HOSTILE })
      .expect(201);
    approvedId = approved.body.comment.id;
    await request(t.http)
      .post(`/api/articles/${SLUG}/comments`)
      .send({
        authorName: 'Ünïcode Ü',
        authorEmail: 'u@example.com',
        body: 'A reply ✓',
        parentId: approvedId,
      })
      .expect(201);
    const held = await request(t.http)
      .post(`/api/articles/${SLUG}/comments`)
      .send({ authorName: 'Held', authorEmail: 'held@example.com', body: 'not public yet' })
      .expect(201);
    heldId = held.body.comment.id;
    await request(t.http)
      .patch(`/api/admin/comments/${heldId}`)
      .set(t.admin)
      .send({ status: 'pending' })
      .expect(200);
  });
  afterAll(() => t.close());

  it('serves a valid Atom feed per article with escaped content and stable ids', async () => {
    const res = await request(t.http).get(`/articles/${SLUG}/comments.atom`).expect(200);
    expect(res.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    wellFormed(res.text);
    const feed = parseFeed(res.text);
    expect(feed.meta.type).toBe('atom');
    expect(feed.title).toContain('Comments on');
    expect(feed.items).toHaveLength(2);
    const eve = feed.items.find((i) => i.id === `urn:uuid:${approvedId}`)!;
    expect(eve.url).toBe(`http://marginalia.test/articles/${SLUG}#comment-${approvedId}`);
    expect(eve.authors[0].name).toBe('Eve <b>& co</b>');
    // The content is the stored, sanitized HTML, escaped once more as Atom text: markup the
    // reader typed stays text (double-escaped here), the emphasis the subset allows is kept.
    expect(eve.content).toContain('<strong>bold</strong>');
    expect(res.text).toContain('Nice &amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;');
    expect(res.text).not.toMatch(/<script|<img|&lt;script|&lt;img/);
    expect(res.text).not.toContain(heldId);
    const again = await request(t.http).get(`/articles/${SLUG}/comments.atom`).expect(200);
    expect(parseFeed(again.text).items.map((i) => i.id)).toEqual(feed.items.map((i) => i.id));
  });

  it('serves the site-wide feed of approved comments on published articles', async () => {
    const res = await request(t.http).get('/feed/comments.atom').expect(200);
    wellFormed(res.text);
    const feed = parseFeed(res.text);
    expect(feed.items.map((i) => i.id)).toContain(`urn:uuid:${approvedId}`);
    expect(feed.items.map((i) => i.id)).not.toContain(`urn:uuid:${heldId}`);
    expect(feed.items.find((i) => i.id === `urn:uuid:${approvedId}`)?.title).toContain('Eve');
  });

  it('answers If-None-Match with 304, and a new comment changes the ETag', async () => {
    const first = await request(t.http).get(`/articles/${SLUG}/comments.atom`).expect(200);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const cached = await request(t.http)
      .get(`/articles/${SLUG}/comments.atom`)
      .set('If-None-Match', etag)
      .expect(304);
    expect(cached.text ?? '').toBe('');
    await request(t.http)
      .patch(`/api/admin/comments/${heldId}`)
      .set(t.admin)
      .send({ status: 'approved' })
      .expect(200);
    const changed = await request(t.http)
      .get(`/articles/${SLUG}/comments.atom`)
      .set('If-None-Match', etag)
      .expect(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(parseFeed(changed.text).items).toHaveLength(3);
  });

  it('is advertised on the pages with rel=alternate', async () => {
    const page = await request(t.http).get(`/articles/${SLUG}`).expect(200);
    expect(page.text).toContain(
      `<link rel="alternate" type="application/atom+xml" title="Comments on China seeks partnership with Turkey in combating terrorism" href="http://marginalia.test/articles/${SLUG}/comments.atom">`,
    );
    expect(page.text).toContain(
      '<link rel="alternate" type="application/atom+xml" title="Marginalia: latest comments" href="http://marginalia.test/feed/comments.atom">',
    );
  });

  it('answers 404 for an unknown or unpublished article', async () => {
    await request(t.http).get('/articles/no-such-article/comments.atom').expect(404);
  });
});
