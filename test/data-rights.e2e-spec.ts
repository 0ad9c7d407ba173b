import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TestApp } from './support/app';

const SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';
const EMAIL = 'Erin.Erase@Example.com';

describe('data rights: export and erase one address', () => {
  let t: TestApp;
  let commentId: string;
  let otherId: string;

  beforeAll(async () => {
    t = await createTestApp();
    const mine = await request(t.http)
      .post(`/api/articles/${SLUG}/comments`)
      .set('User-Agent', 'ErinBrowser/1.0')
      .send({ authorName: 'Erin', authorEmail: EMAIL, body: 'My own words.' })
      .expect(201);
    commentId = mine.body.comment.id;
    const other = await request(t.http)
      .post(`/api/articles/${SLUG}/comments`)
      .send({ authorName: 'Olga', authorEmail: 'olga@example.com', body: 'Not Erin.' })
      .expect(201);
    otherId = other.body.comment.id;
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: EMAIL.toLowerCase(), consent: true })
      .expect(202);
  });
  afterAll(() => t.close());

  it('exports the comments, subscriptions and mail held about the address, in any case', async () => {
    const res = await request(t.http)
      .get(`/api/admin/people/${encodeURIComponent(EMAIL.toUpperCase())}/export`)
      .set(t.admin)
      .expect(200);
    expect(res.body.email).toBe('erin.erase@example.com');
    expect(res.body.comments).toEqual([
      expect.objectContaining({
        id: commentId,
        articleSlug: SLUG,
        authorName: 'Erin',
        body: 'My own words.',
        userAgent: 'ErinBrowser/1.0',
      }),
    ]);
    expect(res.body.subscriptions).toEqual([
      expect.objectContaining({ kind: 'newsletter', status: 'pending' }),
    ]);
    expect(res.body.emails.map((e: { template: string }) => e.template)).toEqual([
      'confirm-subscription',
    ]);
    expect(res.body.suppression).toBeNull();
  });

  it('erases: comments anonymized but kept, subscriptions and unsent mail gone, address suppressed', async () => {
    await request(t.http)
      .delete(`/api/admin/people/${encodeURIComponent(EMAIL)}`)
      .set(t.admin)
      .expect(204);
    const thread = await request(t.http).get(`/api/articles/${SLUG}/comments`).expect(200);
    const byId = new Map(
      thread.body.items.map((c: { id: string; authorName: string; bodyHtml: string }) => [c.id, c]),
    );
    expect(byId.get(commentId)).toMatchObject({ authorName: 'Anonymous' });
    expect(byId.get(otherId)).toMatchObject({ authorName: 'Olga' });
    const rows: { author_email: string; ip_hash: string | null; user_agent: string | null }[] =
      await t.dataSource.query(
        'SELECT author_email, ip_hash, user_agent FROM comments WHERE id = $1',
        [commentId],
      );
    expect(rows[0]).toEqual({
      author_email: 'erased@invalid.invalid',
      ip_hash: null,
      user_agent: null,
    });

    const after = await request(t.http)
      .get(`/api/admin/people/${encodeURIComponent(EMAIL)}/export`)
      .set(t.admin)
      .expect(200);
    expect(after.body.comments).toEqual([]);
    expect(after.body.subscriptions).toEqual([]);
    expect(after.body.emails).toEqual([]);
    expect(after.body.suppression).toMatchObject({ reason: 'erased' });
  });

  it('never mails the erased address again: a new signup answers 202 and queues nothing', async () => {
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: EMAIL, consent: true })
      .expect(202);
    const queued: unknown[] = await t.dataSource.query(
      'SELECT 1 FROM email_outbox WHERE lower(recipient) = $1',
      [EMAIL.toLowerCase()],
    );
    expect(queued).toEqual([]);
  });

  it('answers 400 for a malformed address and 401 without a token', async () => {
    await request(t.http).get('/api/admin/people/not-an-address/export').set(t.admin).expect(400);
    await request(t.http)
      .delete(`/api/admin/people/${encodeURIComponent(EMAIL)}`)
      .expect(401);
  });
});
