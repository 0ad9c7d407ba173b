import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailRenderer } from '../src/mail/mail-renderer.service';
import { UnsubscribeLinks } from '../src/mail/unsubscribe-links';
import { createTestApp, TestApp } from './support/app';

const SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';
const EMAIL = 'reader.rights@example.com';

describe("readers' own data requests: a single-use link, export or erase", () => {
  let t: TestApp;
  let commentId: string;

  const lastLink = async (
    to: string,
  ): Promise<{ token: string; payload: Record<string, unknown> }> => {
    const rows: { payload: Record<string, unknown> }[] = await t.dataSource.query(
      `SELECT payload FROM email_outbox WHERE template = 'data-request' AND lower(recipient) = $1
        ORDER BY created_at DESC LIMIT 1`,
      [to.toLowerCase()],
    );
    const url = new URL(String(rows[0].payload.actionUrl));
    expect(url.pathname).toBe('/my-data/confirm');
    return { token: url.searchParams.get('token')!, payload: rows[0].payload };
  };
  const audit = async (): Promise<
    { actor: string; action: string; details: Record<string, unknown> }[]
  > =>
    t.dataSource.query(
      "SELECT actor, action, details FROM moderation_events WHERE action LIKE 'data.%' ORDER BY id",
    );

  beforeAll(async () => {
    t = await createTestApp();
    const posted = await request(t.http)
      .post(`/api/articles/${SLUG}/comments`)
      .send({ authorName: 'Rita', authorEmail: EMAIL, body: 'My words, my data.' })
      .expect(201);
    commentId = posted.body.comment.id;
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: EMAIL, consent: true })
      .expect(202);
  });
  afterAll(() => t.close());

  it('answers the same for known and unknown addresses, and mails each a link', async () => {
    const known = await request(t.http)
      .post('/api/data-requests')
      .send({ email: EMAIL, kind: 'export' })
      .expect(202);
    const unknown = await request(t.http)
      .post('/api/data-requests')
      .send({ email: 'nobody.here@example.com', kind: 'export' })
      .expect(202);
    expect(unknown.body).toEqual(known.body);
    expect(known.body).toEqual({ status: 'pending' });
    const { payload } = await lastLink('nobody.here@example.com');
    expect(payload).toMatchObject({ kind: 'export', email: 'nobody.here@example.com' });
    await request(t.http)
      .post('/api/data-requests')
      .send({ email: EMAIL, kind: 'steal' })
      .expect(400);
    await request(t.http)
      .post('/api/data-requests')
      .send({ email: 'not-an-address', kind: 'export' })
      .expect(400);
  });

  it('GET on the link changes nothing; the POST downloads everything once', async () => {
    const { token } = await lastLink(EMAIL);
    for (let i = 0; i < 2; i++) {
      const page = await request(t.http).get(`/my-data/confirm?token=${token}`).expect(200);
      expect(page.text).toContain('action="/my-data/confirm"');
      expect(page.text).toContain('Download my data');
    }
    const used: { used_at: Date | null }[] = await t.dataSource.query(
      'SELECT used_at FROM data_requests',
    );
    expect(used.every((r) => r.used_at === null)).toBe(true);

    const download = await request(t.http)
      .post('/my-data/confirm')
      .type('form')
      .send({ token })
      .expect(200);
    expect(download.headers['content-disposition']).toBe('attachment; filename="my-data.json"');
    const data = JSON.parse(download.text);
    expect(data.email).toBe(EMAIL);
    expect(data.comments.map((c: { id: string }) => c.id)).toEqual([commentId]);
    expect(data.subscriptions[0]).toMatchObject({ kind: 'newsletter' });

    await request(t.http).post('/my-data/confirm').type('form').send({ token }).expect(410);
    await request(t.http).get(`/my-data/confirm?token=${token}`).expect(410);
    await request(t.http).get('/my-data/confirm?token=dr_forged').expect(404);
  });

  it('erases through the page form, in one go, and audits every step without the address', async () => {
    const asked = await request(t.http)
      .post('/my-data')
      .type('form')
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ email: EMAIL, kind: 'erase' })
      .expect(202);
    expect(asked.text).toContain('Check your inbox');
    const { token } = await lastLink(EMAIL);
    const page = await request(t.http).get(`/my-data/confirm?token=${token}`).expect(200);
    expect(page.text).toContain('Erase my data');
    const done = await request(t.http)
      .post('/my-data/confirm')
      .type('form')
      .send({ token })
      .expect(200);
    expect(done.text).toContain('Your data is erased');

    const comment: { author_name: string; author_email: string }[] = await t.dataSource.query(
      'SELECT author_name, author_email FROM comments WHERE id = $1',
      [commentId],
    );
    expect(comment[0]).toEqual({
      author_name: 'Anonymous',
      author_email: 'erased@invalid.invalid',
    });
    const left: unknown[] = await t.dataSource.query(
      'SELECT id FROM subscriptions WHERE email_key = $1',
      [EMAIL],
    );
    expect(left).toEqual([]);
    const kept: { email: string | null }[] = await t.dataSource.query(
      'SELECT email FROM data_requests WHERE email = $1',
      [EMAIL],
    );
    expect(kept).toEqual([]);

    const trail = await audit();
    expect(trail.map((e) => e.action)).toEqual([
      'data.export.requested',
      'data.export.requested',
      'data.export',
      'data.erase.requested',
      'data.erase',
    ]);
    expect(trail.every((e) => e.actor === 'reader')).toBe(true);
    expect(JSON.stringify(trail)).not.toContain(EMAIL);
  });

  it('refuses cross-site posts of the request form and queues nothing', async () => {
    const before: unknown[] = await t.dataSource.query('SELECT id FROM data_requests');
    await request(t.http)
      .post('/my-data')
      .type('form')
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ email: 'victim@example.com', kind: 'erase' })
      .expect(403);
    await request(t.http)
      .post('/my-data')
      .type('form')
      .set('Origin', 'https://evil.example')
      .send({ email: 'victim@example.com', kind: 'erase' })
      .expect(403);
    expect(await t.dataSource.query('SELECT id FROM data_requests')).toHaveLength(before.length);
  });

  it('is linked from every mail and from the unsubscribe page', async () => {
    const rendered = t.app.get(MailRenderer).renderStored(
      'confirm-subscription',
      {
        kind: 'newsletter',
        email: 'x@example.com',
        confirmUrl: 'http://marginalia.test/confirm?token=t',
        expiresInHours: 72,
        articleTitle: null,
        articleUrl: null,
      },
      null,
    );
    expect(rendered.text).toContain('http://marginalia.test/my-data');
    expect(rendered.html).toContain('href="http://marginalia.test/my-data"');
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: 'other@example.com', consent: true })
      .expect(202);
    const subs: { id: string }[] = await t.dataSource.query(
      "SELECT id FROM subscriptions WHERE email_key = 'other@example.com'",
    );
    const token = await t.app.get(UnsubscribeLinks).tokenFor(subs[0].id);
    const page = await request(t.http)
      .get(`/unsubscribe?token=${encodeURIComponent(token)}`)
      .expect(200);
    expect(page.text).toContain('href="/my-data"');
    const form = await request(t.http).get('/my-data').expect(200);
    expect(form.text).toContain('name="kind" value="erase"');
  });
});
