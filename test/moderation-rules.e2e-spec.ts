import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentInput, createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

const SETTINGS = '/api/admin/settings/moderation';

interface QueueItem {
  id: string;
  status: string;
  reasons: string[];
  authorEmail: string;
  ipHash: string | null;
  userAgent: string | null;
  articleSlug: string;
}

describe('moderation rules applied to every new comment', () => {
  let t: TestApp;
  let article: TestArticle;

  async function settings(body: Record<string, unknown>): Promise<void> {
    await request(t.http).put(SETTINGS).set(t.admin).send(body).expect(200);
  }

  async function queued(status: string, id: string): Promise<QueueItem> {
    const res = await request(t.http)
      .get('/api/admin/comments')
      .query({ status, article: article.slug, limit: 100 })
      .set(t.admin)
      .expect(200);
    const item = (res.body.items as QueueItem[]).find((i) => i.id === id);
    expect(item, `comment ${id} in the ${status} queue`).toBeDefined();
    return item!;
  }

  async function publicIds(): Promise<string[]> {
    const res = await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    return (res.body.items as { id: string }[]).map((i) => i.id);
  }

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'none' });
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  // Each test sets the rules it needs from a clean slate.
  const clean = {
    mode: 'none',
    maxLinks: 2,
    holdWords: [],
    blockWords: [],
    blockedEmails: [],
    blockedIps: [],
  };

  it('approves a plain comment when no rule fires', async () => {
    await settings(clean);
    const posted = await postComment(t, article.slug);
    expect(posted.comment.status).toBe('approved');
    expect(await publicIds()).toContain(posted.comment.id);
  });

  it('holds a comment with more than maxLinks links, naming the count', async () => {
    await settings({ ...clean, maxLinks: 1 });
    const posted = await postComment(t, article.slug, {
      body: 'see https://a.example and [this](https://b.example)',
    });
    expect(posted.comment.status).toBe('pending');
    expect((await queued('pending', posted.comment.id)).reasons).toEqual(['2 links (more than 1)']);
    expect(await publicIds()).not.toContain(posted.comment.id);
    const ok = await postComment(t, article.slug, { body: 'only https://a.example here' });
    expect(ok.comment.status).toBe('approved');
  });

  it('holds hold words, whole-word, case-insensitively and through zero-width characters', async () => {
    await settings({ ...clean, holdWords: ['cheap', 'дёшево'] });
    const held = await postComment(t, article.slug, { body: 'Really CHE\u200bAP offer' });
    expect(held.comment.status).toBe('pending');
    expect((await queued('pending', held.comment.id)).reasons).toEqual(['hold word "cheap"']);
    const cyrillic = await postComment(t, article.slug, { body: 'Очень Дёшево!' });
    expect((await queued('pending', cyrillic.comment.id)).reasons).toEqual(['hold word "дёшево"']);
    const inside = await postComment(t, article.slug, { body: 'cheapskates are fine' });
    expect(inside.comment.status).toBe('approved');
  });

  it('marks block words as spam', async () => {
    await settings({ ...clean, blockWords: ['casino'] });
    const posted = await postComment(t, article.slug, { body: 'Best ca\u200dsino in town' });
    expect(posted.comment.status).toBe('pending');
    const item = await queued('spam', posted.comment.id);
    expect(item.status).toBe('spam');
    expect(item.reasons).toEqual(['block word "casino"']);
  });

  it('marks blocked emails as spam, with *@domain patterns covering subdomains', async () => {
    await settings({ ...clean, blockedEmails: ['*@spam.example', 'one@ok.example'] });
    const sub = await postComment(t, article.slug, { authorEmail: 'x@mail.spam.example' });
    expect((await queued('spam', sub.comment.id)).reasons).toEqual([
      'blocked email *@spam.example',
    ]);
    const exact = await postComment(t, article.slug, { authorEmail: 'One@OK.example' });
    expect((await queued('spam', exact.comment.id)).reasons).toEqual([
      'blocked email one@ok.example',
    ]);
    const other = await postComment(t, article.slug, { authorEmail: 'two@ok.example' });
    expect(other.comment.status).toBe('approved');
  });

  it('marks blocked ips and CIDR ranges as spam', async () => {
    // supertest connects over loopback: the app sees 127.0.0.1 or ::ffff:127.0.0.1.
    await settings({ ...clean, blockedIps: ['127.0.0.0/8'] });
    const ranged = await postComment(t, article.slug);
    expect((await queued('spam', ranged.comment.id)).reasons).toEqual(['blocked ip 127.0.0.0/8']);
    await settings({ ...clean, blockedIps: ['10.0.0.0/8', '2001:db8::/32'] });
    const free = await postComment(t, article.slug);
    expect(free.comment.status).toBe('approved');
  });

  it('marks a filled honeypot as spam and still answers 201', async () => {
    await settings(clean);
    const posted = await postComment(t, article.slug, { website: 'http://bot.example' });
    expect(posted.comment.status).toBe('pending');
    expect((await queued('spam', posted.comment.id)).reasons).toEqual(['honeypot field filled']);
  });

  it('mode "all" from the settings overrides the env default', async () => {
    await settings({ ...clean, mode: 'all' });
    const posted = await postComment(t, article.slug);
    expect(posted.comment.status).toBe('pending');
    expect((await queued('pending', posted.comment.id)).reasons).toEqual([
      'moderation mode "all": every comment is held',
    ]);
  });

  it('mode "first" holds a new address until a moderator approves one of its comments', async () => {
    await settings({ ...clean, mode: 'first' });
    const email = `first.${Date.now()}@example.com`;
    const first = await postComment(t, article.slug, { authorEmail: email });
    expect(first.comment.status).toBe('pending');
    expect((await queued('pending', first.comment.id)).reasons).toEqual([
      'first comment of this address',
    ]);
    const second = await postComment(t, article.slug, { authorEmail: email });
    expect(second.comment.status).toBe('pending');
    await request(t.http)
      .patch(`/api/admin/comments/${first.comment.id}`)
      .set(t.admin)
      .send({ status: 'approved' })
      .expect(200);
    // Trusted site-wide: on another article too.
    const other = await createArticle(t);
    const later = await postComment(t, other.slug, { authorEmail: email.toUpperCase() });
    expect(later.comment.status).toBe('approved');
  });

  it('spam rules win over hold rules and every reason that fired is kept', async () => {
    await settings({ ...clean, mode: 'all', blockWords: ['casino'], holdWords: ['cheap'] });
    const posted = await postComment(t, article.slug, {
      body: 'cheap casino',
      website: 'filled',
    });
    const item = await queued('spam', posted.comment.id);
    expect(item.reasons).toEqual(['honeypot field filled', 'block word "casino"']);
  });

  it('answers 409 for the same body from the same address within a minute', async () => {
    await settings(clean);
    const input = commentInput({ body: 'I said this once.' });
    await request(t.http).post(`/api/articles/${article.slug}/comments`).send(input).expect(201);
    const again = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send({ ...input, authorEmail: String(input.authorEmail).toUpperCase() })
      .expect(409);
    expect(again.body.message).toMatch(/duplicate/);
    // Another address, or another text, is fine.
    await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send({ ...input, authorEmail: 'someone.else@example.com' })
      .expect(201);
    await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send({ ...input, body: 'I said this twice.' })
      .expect(201);
    // Two identical posts racing each other: exactly one lands.
    const race = commentInput({ body: 'Racing myself.' });
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        request(t.http).post(`/api/articles/${article.slug}/comments`).send(race),
      ),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });

  it('is past the window after a minute', async () => {
    await settings(clean);
    const input = commentInput({ body: 'Said a while ago.' });
    const first = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send(input)
      .expect(201);
    // A minute passes: for the comment and for the claim its body took (comment_body_claims).
    await t.dataSource.query(
      "UPDATE comments SET created_at = created_at - interval '61 seconds' WHERE id = $1",
      [first.body.comment.id],
    );
    await t.dataSource.query(
      "UPDATE comment_body_claims SET claimed_at = claimed_at - interval '61 seconds'",
    );
    await request(t.http).post(`/api/articles/${article.slug}/comments`).send(input).expect(201);
    await request(t.http).post(`/api/articles/${article.slug}/comments`).send(input).expect(409);
  });

  it('answers 409 when comments are closed on the article', async () => {
    const closed = await createArticle(t, { commentsOpen: false });
    const res = await request(t.http)
      .post(`/api/articles/${closed.slug}/comments`)
      .send(commentInput())
      .expect(409);
    expect(res.body.message).toBe('comments are closed on this article');
  });

  it('shows each queue item with email, ip hash, user agent and article', async () => {
    await settings({ ...clean, mode: 'all' });
    const res = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .set('User-Agent', 'QueueTest/1.0')
      .send(commentInput({ authorEmail: 'queue.item@example.com' }))
      .expect(201);
    const item = await queued('pending', res.body.comment.id);
    expect(item).toMatchObject({
      authorEmail: 'queue.item@example.com',
      userAgent: 'QueueTest/1.0',
      articleSlug: article.slug,
    });
    expect(item.ipHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
