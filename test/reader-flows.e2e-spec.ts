import { JSDOM } from 'jsdom';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

function page(html: string): Document {
  return new JSDOM(html).window.document;
}

/** The element a 303's fragment lands on, in the page the redirect leads to. */
async function landing(t: TestApp, location: string): Promise<Element | null> {
  const [path, hash] = location.split('#');
  const doc = page((await request(t.http).get(path).expect(200)).text);
  return hash ? doc.getElementById(hash) : null;
}

describe('validation errors a reader can read, and a machine too', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  it('lists {field, code, message} once per invalid field, keeping statusCode, error and message', async () => {
    const res = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send({ authorName: '', authorEmail: 'nope', body: 'x'.repeat(10_001) })
      .expect(400);
    expect(res.body.statusCode).toBe(400);
    expect(res.body.error).toBe('Bad Request');
    // The validators' sentences stay in `message` for existing clients.
    expect(res.body.message).toContain('authorEmail must be a valid email address');
    expect(res.body.errors).toEqual([
      { field: 'authorName', code: 'required', message: 'Please enter your name.' },
      {
        field: 'authorEmail',
        code: 'invalid_email',
        message: 'Please enter a valid email address.',
      },
      {
        field: 'body',
        code: 'too_long',
        message: 'Your comment can be at most 10000 characters long.',
      },
    ]);
  });

  it('reads a name of invisible characters as no name, and an address with one as invalid', async () => {
    const res = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send({ authorName: '\u200b\u200b', authorEmail: 'a\u200b@example.com', body: 'hi' })
      .expect(400);
    expect(
      res.body.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`),
    ).toEqual(['authorName:required', 'authorEmail:invalid_email']);
  });

  it('names nested and unknown fields by their path', async () => {
    const res = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send({
        authorName: 'A',
        authorEmail: 'a@example.com',
        body: 'hi',
        anchor: { blockId: 'b0000000000', quote: { exact: 42 } },
        admin: true,
      })
      .expect(400);
    const fields = (res.body.errors as { field: string; code: string }[]).map(
      (e) => `${e.field}:${e.code}`,
    );
    expect(fields).toEqual(['admin:unknown_field', 'anchor.quote.exact:invalid']);
  });

  it('answers the newsletter and subscription APIs the same way', async () => {
    const res = await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: 'x', consent: false })
      .expect(400);
    expect(res.body.errors).toEqual([
      { field: 'email', code: 'invalid_email', message: 'Please enter a valid email address.' },
      {
        field: 'consent',
        code: 'consent_required',
        message: 'Please tick the box to agree to receive the newsletter.',
      },
    ]);
    const follow = await request(t.http)
      .post(`/api/articles/${article.slug}/subscriptions`)
      .send({ email: 'a@example.com', kind: 'everything' })
      .expect(400);
    expect(follow.body.errors).toEqual([
      {
        field: 'kind',
        code: 'invalid_choice',
        message: 'Please choose one of the offered options for what to be notified of.',
      },
    ]);
  });
});

describe('no-JavaScript flows land on their feedback', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  it('lands a post on the comment, and a post with a missing email on the form with its value kept', async () => {
    const posted = await request(t.http)
      .post(`/articles/${article.slug}/comments`)
      .type('form')
      .send({ authorName: 'Ann', authorEmail: 'ann@example.com', body: 'Landed' })
      .expect(303);
    const target = await landing(t, posted.headers.location);
    expect(target?.querySelector('.comment-body')?.textContent).toContain('Landed');

    const missing = await request(t.http)
      .post(`/articles/${article.slug}/comments`)
      .type('form')
      .send({ authorName: 'Ann', authorEmail: '', body: 'Keep me' })
      .expect(400);
    const doc = page(missing.text);
    expect(doc.querySelector(`article[data-slug="${article.slug}"]`)).not.toBeNull();
    expect(doc.getElementById('comment-email-error')!.textContent).toBe(
      'Please enter your email address.',
    );
    expect(doc.querySelector('#comment-body')!.textContent).toBe('Keep me');
    // The form's action carries the fragment, so the browser shows the form, not the top.
    expect(doc.getElementById('comment-form')!.getAttribute('action')).toMatch(/#comment-form$/);
  });

  it('signs up for the newsletter from the article: 303 to a notice in the box, or the box with its errors', async () => {
    const bad = await request(t.http)
      .post(`/articles/${article.slug}/newsletter`)
      .type('form')
      .send({ email: 'not an address', consent: 'true' })
      .expect(400);
    const doc = page(bad.text);
    expect(doc.getElementById('newsletter-email-error')!.textContent).toBe(
      'Please enter a valid email address.',
    );
    expect(doc.querySelector<HTMLInputElement>('#newsletter-email')!.value).toBe('not an address');
    expect(doc.querySelector<HTMLInputElement>('#newsletter-consent')!.checked).toBe(true);
    expect(doc.getElementById('newsletter-form')!.getAttribute('action')).toBe(
      `/articles/${article.slug}/newsletter#newsletter`,
    );
    const noConsent = page(
      (
        await request(t.http)
          .post(`/articles/${article.slug}/newsletter`)
          .type('form')
          .send({ email: 'nl@example.com' })
          .expect(400)
      ).text,
    );
    expect(noConsent.getElementById('newsletter-consent-error')!.textContent).toContain(
      'Please tick the box',
    );

    const ok = await request(t.http)
      .post(`/articles/${article.slug}/newsletter`)
      .type('form')
      .send({ email: 'nl@example.com', consent: 'true' })
      .expect(303);
    expect(ok.headers.location).toBe(`/articles/${article.slug}?subscribed=1#newsletter`);
    const box = await landing(t, ok.headers.location);
    expect(box?.querySelector('#newsletter-done')?.textContent).toContain('check your inbox');
    const rows = await t.dataSource.query(
      "SELECT status, consent_source FROM subscriptions WHERE email = 'nl@example.com'",
    );
    expect(rows).toEqual([{ status: 'pending', consent_source: 'newsletter-form' }]);
  });

  it('follows a discussion without commenting: the Subscribe box, double opt-in', async () => {
    const bad = await request(t.http)
      .post(`/articles/${article.slug}/follow`)
      .type('form')
      .send({ email: '', kind: 'followups' })
      .expect(400);
    expect(page(bad.text).getElementById('follow-email-error')!.textContent).toBe(
      'Please enter your email address.',
    );
    const ok = await request(t.http)
      .post(`/articles/${article.slug}/follow`)
      .type('form')
      .send({ email: 'follower@example.com', kind: 'replies' })
      .expect(303);
    expect(ok.headers.location).toBe(`/articles/${article.slug}?following=1#follow`);
    const box = await landing(t, ok.headers.location);
    expect(box?.querySelector('#follow-done')?.textContent).toContain('check your inbox');
    const rows = await t.dataSource.query(
      "SELECT kind, status, consent_source FROM subscriptions WHERE email = 'follower@example.com'",
    );
    expect(rows).toEqual([{ kind: 'replies', status: 'pending', consent_source: 'follow-box' }]);
    await request(t.http)
      .post('/articles/no-such-article/follow')
      .type('form')
      .send({ email: 'follower@example.com', kind: 'replies' })
      .expect(404);
  });

  it('shows the comment count and a jump link near the headline, and "Pinned" on a pinned comment', async () => {
    const a = await createArticle(t);
    const first = await postComment(t, a.slug, { authorName: 'Zoë van Dijk' });
    await postComment(t, a.slug);
    await request(t.http)
      .patch(`/api/admin/comments/${first.comment.id}`)
      .set(t.admin)
      .send({ pinned: true })
      .expect(200);
    const doc = page((await request(t.http).get(`/articles/${a.slug}`).expect(200)).text);
    const jump = doc.querySelector('.article-header .comment-count-link')!;
    expect(jump.textContent).toBe('2 comments');
    expect(jump.getAttribute('href')).toBe('#comments');
    const pinned = doc.getElementById(`comment-${first.comment.id}`)!;
    expect(pinned.querySelector('.comment-pinned-label')!.textContent).toBe('Pinned');
    // Avatars are drawn here from the name: no third-party image, no hash of the address.
    expect(pinned.querySelector('.avatar')!.textContent).toBe('ZD');
    expect(doc.querySelectorAll('img[src*="gravatar"], img[src^="http"]')).toHaveLength(0);
  });

  it('"Show more replies" leads to a page of replies, never to the JSON API', async () => {
    const a = await createArticle(t);
    const root = await postComment(t, a.slug, { authorName: 'Root' });
    for (let i = 0; i < 51; i++) {
      await postComment(t, a.slug, { parentId: root.comment.id, body: `Reply ${i}` });
    }
    const doc = page((await request(t.http).get(`/articles/${a.slug}`).expect(200)).text);
    const more = doc.querySelector(`#comment-${root.comment.id} .more-replies-link`)!;
    const href = more.getAttribute('href')!;
    expect(href).not.toMatch(/^\/api\//);
    const res = await request(t.http).get(href.split('#')[0]).expect(200);
    expect(res.headers['content-type']).toContain('text/html');
    const replies = page(res.text);
    expect(replies.querySelector('h1')!.textContent).toBe('Replies to Root');
    const first = replies.querySelectorAll('.comment-list .comment-body');
    expect(first).toHaveLength(50);
    const next = replies.querySelector('.load-more-link')!.getAttribute('href')!;
    const rest = page((await request(t.http).get(next).expect(200)).text);
    expect(rest.querySelectorAll('.comment-list .comment-body')).toHaveLength(1);
    expect(rest.querySelector('.comment-list .comment-body')!.textContent).toContain('Reply 50');
    await request(t.http).get('/comments/not-a-uuid/replies').expect(404);
  });
});
