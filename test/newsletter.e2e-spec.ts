import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';
import { headerLines, linkIn, parse, SmtpSink } from './support/smtp-sink';

const SEED_SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

function signup(t: TestApp, email: string, extra: Record<string, unknown> = {}) {
  return request(t.http)
    .post('/api/newsletter/subscriptions')
    .send({ email, consent: true, ...extra });
}

async function outboxRows(t: TestApp, email: string) {
  return t.dataSource.query<{ status: string; template: string; message_id: string | null }[]>(
    'SELECT status, template, message_id FROM email_outbox WHERE lower(recipient) = lower($1) ORDER BY created_at',
    [email],
  );
}

async function confirmVia(sinkMessage: Parameters<typeof linkIn>[0], t: TestApp) {
  const link = await linkIn(sinkMessage, '/confirm');
  const token = link.searchParams.get('token')!;
  await request(t.http).post('/confirm').type('form').send({ token }).expect(200);
  return token;
}

describe('newsletter double opt-in over real SMTP', () => {
  const sink = new SmtpSink();
  let t: TestApp;

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp({
      SMTP_URL: sink.url,
      MAIL_DISPATCHER: 'on',
      MAIL_POLL_MS: '100',
      MAIL_RETRY_BASE_MS: '100',
      MAIL_FROM: 'Marginalia <news@marginalia.test>',
    });
  });
  afterAll(async () => {
    await t?.close();
    await sink.stop();
  });

  it('signs up, mails a link whose page confirms only on POST, and confirms idempotently', async () => {
    const email = 'ann@example.org';
    const res = await signup(t, email).expect(202);
    expect(res.body).toEqual({ status: 'pending' });

    const mail = await sink.waitFor(email);
    const parsed = await parse(mail);
    expect(parsed.subject).toBe('Please confirm your subscription to the Marginalia newsletter');
    expect(parsed.text).toContain(email);
    expect(parsed.html).toContain('Confirm my subscription');
    const link = await linkIn(mail, '/confirm');
    expect(link.origin).toBe('http://marginalia.test');
    const token = link.searchParams.get('token')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Only the hash is stored.
    const stored = await t.dataSource.query(
      'SELECT confirm_token_hash, status FROM subscriptions WHERE email_key = $1',
      [email],
    );
    expect(stored[0].status).toBe('pending');
    expect(stored[0].confirm_token_hash).not.toContain(token);
    const dump = JSON.stringify(await t.dataSource.query('SELECT * FROM subscriptions'));
    expect(dump).not.toContain(token);

    // A GET (what a mail scanner does) shows the button and changes nothing.
    const page = await request(t.http)
      .get(link.pathname + link.search)
      .expect(200);
    expect(page.text).toContain('Confirm my subscription');
    expect(page.text).toContain('action="/confirm"');
    const afterGet = await t.dataSource.query(
      'SELECT status FROM subscriptions WHERE email_key = $1',
      [email],
    );
    expect(afterGet[0].status).toBe('pending');

    const confirmed = await request(t.http)
      .post('/confirm')
      .type('form')
      .send({ token })
      .expect(200);
    expect(confirmed.text).toContain('You are subscribed');
    const again = await request(t.http)
      .post('/api/subscriptions/confirm')
      .send({ token })
      .expect(200);
    expect(again.body).toEqual({ status: 'confirmed', kind: 'newsletter' });

    const list = await request(t.http)
      .get('/api/admin/subscribers?kind=newsletter&status=confirmed')
      .set(t.admin)
      .expect(200);
    const row = list.body.items.find((s: { email: string }) => s.email === email);
    expect(row.consent.source).toBe('api');
    expect(row.consent.textVersion).toBe('newsletter-box-2026-11');
    expect(row.consent.ip).toBeTruthy();
    expect(row.confirmedAt).not.toBeNull();
  });

  it('answers the same 202 for new, pending, confirmed, unsubscribed and suppressed addresses', async () => {
    const confirmedEmail = 'confirmed-one@example.org';
    await signup(t, confirmedEmail).expect(202);
    await confirmVia(await sink.waitFor(confirmedEmail), t);
    await t.dataSource.query(
      "INSERT INTO suppressions (email_key, reason) VALUES ('suppressed-one@example.org', 'manual')",
    );
    await signup(t, 'pending-one@example.org').expect(202);
    const unsubscribed = 'unsub-one@example.org';
    await signup(t, unsubscribed).expect(202);
    await confirmVia(await sink.waitFor(unsubscribed), t);
    const unsubLink = await linkIn((await sink.waitFor(unsubscribed))!, '/unsubscribe');
    await request(t.http)
      .post('/api/unsubscribe')
      .send({ token: unsubLink.searchParams.get('token') })
      .expect(200);

    const answers = [];
    for (const email of [
      'brand-new@example.org',
      'pending-one@example.org',
      confirmedEmail,
      unsubscribed,
      'suppressed-one@example.org',
    ]) {
      const res = await signup(t, email);
      answers.push({ status: res.status, body: res.body });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toEqual({ status: 202, body: { status: 'pending' } });
    // Nothing went to the confirmed or the suppressed address.
    expect(await outboxRows(t, 'suppressed-one@example.org')).toEqual([]);
    expect((await outboxRows(t, confirmedEmail)).length).toBe(1);
  });

  it('sends at most 3 confirmation mails per address per day, and none of the name typed', async () => {
    const email = 'capped@example.org';
    for (let i = 0; i < 6; i += 1) {
      await signup(t, email, { name: 'Buy cheap pills at spam.example' }).expect(202);
    }
    const rows = await outboxRows(t, email);
    expect(rows.filter((r) => r.template === 'confirm-subscription')).toHaveLength(3);
    await sink.waitForCount(sink.messages.length); // settle
    const deadline = Date.now() + 10_000;
    while (sink.to(email).length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sink.to(email)).toHaveLength(3);
    for (const m of sink.to(email)) {
      expect(m.raw).not.toContain('spam.example');
      expect(m.raw).not.toContain('pills');
    }
  });

  it('rejects an unknown token with 404 and a malformed one with 400', async () => {
    await request(t.http)
      .post('/api/subscriptions/confirm')
      .send({ token: 'A'.repeat(43) })
      .expect(404);
    await request(t.http).post('/api/subscriptions/confirm').send({ token: 'short' }).expect(400);
    await request(t.http)
      .get(`/confirm?token=${'B'.repeat(43)}`)
      .expect(404);
  });

  it('answers 410 for an expired link, with a page offering a new mail', async () => {
    const email = 'late@example.org';
    await signup(t, email).expect(202);
    const token = (await linkIn(await sink.waitFor(email), '/confirm')).searchParams.get('token')!;
    await t.dataSource.query(
      "UPDATE subscriptions SET confirm_expires_at = now() - interval '1 minute' WHERE email_key = $1",
      [email],
    );
    await request(t.http).post('/api/subscriptions/confirm').send({ token }).expect(410);
    const page = await request(t.http).get(`/confirm?token=${token}`).expect(410);
    expect(page.text).toContain('Send me a new link');
    await request(t.http).post('/confirm/resend').type('form').send({ token }).expect(202);
    const deadline = Date.now() + 10_000;
    while (sink.to(email).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sink.to(email)).toHaveLength(2);
    const fresh = (await linkIn(sink.to(email)[1], '/confirm')).searchParams.get('token')!;
    expect(fresh).not.toBe(token);
    await request(t.http).post('/api/subscriptions/confirm').send({ token: fresh }).expect(200);
  });

  it('puts the subscription headers on the wire and unsubscribes by one-click POST', async () => {
    const email = 'headers@example.org';
    await signup(t, email).expect(202);
    const confirmation = await sink.waitFor(email);
    expect(headerLines(confirmation.raw, 'Message-ID')).toEqual([
      expect.stringMatching(/^<outbox-[0-9a-f-]{36}@marginalia\.test>$/),
    ]);
    expect(headerLines(confirmation.raw, 'Auto-Submitted')).toEqual(['auto-generated']);
    await confirmVia(confirmation, t);

    const issue = await request(t.http)
      .post('/api/admin/newsletter/issues')
      .set(t.admin)
      .send({ subject: 'Issue one', body: 'Hello **readers**.\n\n<script>alert(1)</script>' })
      .expect(202);
    expect(issue.body.recipients).toBeGreaterThanOrEqual(1);
    const deadline = Date.now() + 10_000;
    while (sink.to(email).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const newsletter = sink.to(email)[1];
    const raw = newsletter.raw;
    const [unsubscribe] = headerLines(raw, 'List-Unsubscribe');
    expect(unsubscribe).toMatch(
      /^<http:\/\/marginalia\.test\/unsubscribe\?token=[A-Za-z0-9_-]{43}>$/,
    );
    expect(headerLines(raw, 'List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
    expect(headerLines(raw, 'List-Id')).toEqual([
      '"Marginalia newsletter" <newsletter.marginalia.test>',
    ]);
    expect(headerLines(raw, 'Auto-Submitted')).toEqual(['auto-generated']);
    expect(headerLines(raw, 'Message-ID')[0]).toMatch(/^<outbox-[0-9a-f-]{36}@marginalia\.test>$/);
    const parsed = await parse(newsletter);
    expect(parsed.subject).toBe('Issue one');
    expect(parsed.html).toContain('<strong');
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.text).toContain('Unsubscribe: http://marginalia.test/unsubscribe?token=');
    const rows = await t.dataSource.query(
      "SELECT message_id FROM email_outbox WHERE template = 'newsletter-issue' AND recipient = $1",
      [email],
    );
    expect(headerLines(raw, 'Message-ID')[0]).toBe(rows[0].message_id);

    // RFC 8058: POST to the header's URL with the one-click body, no cookie, no auth.
    const url = new URL(unsubscribe.slice(1, -1));
    const oneClick = await request(t.http)
      .post(url.pathname + url.search)
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .expect(200);
    expect(oneClick.headers.location).toBeUndefined();
    expect(oneClick.headers['set-cookie']).toBeUndefined();
    expect(oneClick.text).toContain('Unsubscribed');
    // Again, and with an empty body: still 200.
    await request(t.http)
      .post(url.pathname + url.search)
      .expect(200);
    const status = await t.dataSource.query(
      'SELECT status FROM subscriptions WHERE email_key = $1',
      [email],
    );
    expect(status[0].status).toBe('unsubscribed');
    // The GET page shows a button and changes nothing.
    const page = await request(t.http)
      .get(url.pathname + url.search)
      .expect(200);
    expect(page.text).toContain('Unsubscribed');
  });

  it('builds an issue from an article: title, summary and link', async () => {
    const email = 'article-issue@example.org';
    await signup(t, email).expect(202);
    await confirmVia(await sink.waitFor(email), t);
    await request(t.http)
      .post('/api/admin/newsletter/issues')
      .set(t.admin)
      .send({ subject: 'Our latest', articleSlug: SEED_SLUG })
      .expect(202);
    const deadline = Date.now() + 10_000;
    while (sink.to(email).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const parsed = await parse(sink.to(email)[1]);
    expect(parsed.text).toContain('China seeks partnership with Turkey in combating terrorism');
    expect(parsed.text).toContain(`http://marginalia.test/articles/${SEED_SLUG}`);
    await request(t.http)
      .post('/api/admin/newsletter/issues')
      .set(t.admin)
      .send({ subject: 'x', articleSlug: 'no-such-article' })
      .expect(422);
    await request(t.http)
      .post('/api/admin/newsletter/issues')
      .set(t.admin)
      .send({ subject: 'x' })
      .expect(400);
  });
});
