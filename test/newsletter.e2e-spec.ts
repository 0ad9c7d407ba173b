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
    const unsubLink = await linkIn(await sink.waitFor(unsubscribed), '/unsubscribe');
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
    let rows: { message_id: string | null }[] = [];
    const recorded = Date.now() + 5_000;
    while (!rows[0]?.message_id && Date.now() < recorded) {
      rows = await t.dataSource.query(
        "SELECT message_id FROM email_outbox WHERE template = 'newsletter-issue' AND recipient = $1",
        [email],
      );
    }
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

  it('sends an issue only to confirmed subscribers, in batches, never to pending, unsubscribed, bounced or suppressed ones', async () => {
    const prefix = 'who-';
    const confirmed = [`${prefix}c1@example.org`, `${prefix}c2@example.org`];
    for (const email of confirmed) {
      await signup(t, email).expect(202);
      await confirmVia(await sink.waitFor(email), t);
    }
    const pending = `${prefix}pending@example.org`;
    await signup(t, pending).expect(202);
    const leaver = `${prefix}leaver@example.org`;
    await signup(t, leaver).expect(202);
    const leaverMail = await sink.waitFor(leaver);
    await confirmVia(leaverMail, t);
    const unsubscribe = await linkIn(leaverMail, '/unsubscribe');
    await request(t.http)
      .post(unsubscribe.pathname + unsubscribe.search)
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .expect(200);
    const blocked = `${prefix}blocked@example.org`;
    await signup(t, blocked).expect(202);
    await confirmVia(await sink.waitFor(blocked), t);
    await t.dataSource.query(
      "INSERT INTO suppressions (email_key, reason) VALUES ($1, 'complaint')",
      [blocked],
    );
    // A confirmation that bounces marks that subscription bounced.
    const bouncer = `${prefix}bouncer@example.org`;
    sink.refuse(bouncer, 550, '5.1.1 no such mailbox');
    await signup(t, bouncer).expect(202);
    const deadline = Date.now() + 10_000;
    let status = '';
    while (status !== 'bounced' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      status = (
        await t.dataSource.query('SELECT status FROM subscriptions WHERE email_key = $1', [bouncer])
      )[0].status;
    }
    expect(status).toBe('bounced');

    const before = sink.messages.length;
    const issue = await request(t.http)
      .post('/api/admin/newsletter/issues')
      .set(t.admin)
      .send({ subject: 'Who gets this', body: 'Only confirmed readers.' })
      .expect(202);
    const rows = await t.dataSource.query(
      "SELECT recipient FROM email_outbox WHERE idempotency_key LIKE $1 AND recipient LIKE 'who-%'",
      [`newsletter:${issue.body.id}:%`],
    );
    expect(rows.map((r: { recipient: string }) => r.recipient).sort()).toEqual(confirmed.sort());
    const wait = Date.now() + 10_000;
    while (sink.messages.length < before + issue.body.recipients && Date.now() < wait) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const got = sink.messages
      .slice(before)
      .filter((m) => m.raw.includes('Who gets this'))
      .map((m) => m.to[0])
      .filter((to) => to.startsWith(prefix));
    expect(got.sort()).toEqual(confirmed.sort());
    // Each has its own unsubscribe link.
    const links = new Set(
      sink.messages
        .slice(before)
        .filter((m) => m.to[0].startsWith(prefix))
        .map((m) => headerLines(m.raw, 'List-Unsubscribe')[0]),
    );
    expect(links.size).toBe(confirmed.length);
  });

  it('keeps one unsubscribe link scoped to its own subscription', async () => {
    const email = 'two-lists@example.org';
    await signup(t, email).expect(202);
    const mail = await sink.waitFor(email);
    await confirmVia(mail, t);
    const articleId = (
      await t.dataSource.query('SELECT id FROM articles WHERE slug = $1', [SEED_SLUG])
    )[0].id;
    const { SubscriptionsService } = await import('../src/subscriptions/subscriptions.service');
    await t.app.get(SubscriptionsService).request({
      kind: 'followups',
      email,
      articleId,
      consent: { ip: null, userAgent: null, source: 'test', textVersion: 'v1' },
    });
    const unsubscribe = await linkIn(mail, '/unsubscribe');
    await request(t.http)
      .post('/api/unsubscribe')
      .send({ token: unsubscribe.searchParams.get('token') })
      .expect(200, { status: 'unsubscribed', kind: 'newsletter' });
    const statuses = await t.dataSource.query(
      'SELECT kind, status FROM subscriptions WHERE email_key = $1 ORDER BY kind',
      [email],
    );
    expect(statuses).toEqual([
      { kind: 'followups', status: 'pending' },
      { kind: 'newsletter', status: 'unsubscribed' },
    ]);
    // An old confirmation link cannot bring the subscription back.
    const confirmToken = (await linkIn(mail, '/confirm')).searchParams.get('token');
    await request(t.http)
      .post('/api/subscriptions/confirm')
      .send({ token: confirmToken })
      .expect(404);
  });

  it('takes the form post of the newsletter box without JavaScript', async () => {
    const res = await request(t.http)
      .post('/newsletter/subscribe')
      .type('form')
      .send({ email: 'nojs@example.org', consent: 'true' })
      .expect(202);
    expect(res.text).toContain('check your inbox');
    await sink.waitFor('nojs@example.org');
    const consent = await t.dataSource.query(
      'SELECT consent_source FROM subscriptions WHERE email_key = $1',
      ['nojs@example.org'],
    );
    expect(consent[0].consent_source).toBe('newsletter-form');
    await request(t.http)
      .post('/newsletter/subscribe')
      .type('form')
      .send({ email: 'nojs2@example.org' })
      .expect(400);
  });

  it('validates the signup: consent required, one plain address, no unknown fields', async () => {
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: 'x@example.org' })
      .expect(400);
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: 'x@example.org', consent: false })
      .expect(400);
    for (const email of [
      'x@example.org\r\nBcc: v@evil.test',
      'a@example.org, b@example.org',
      '%@%',
    ]) {
      await request(t.http)
        .post('/api/newsletter/subscriptions')
        .send({ email, consent: true })
        .expect(400);
    }
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: 'x@example.org', consent: true, admin: true })
      .expect(400);
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .type('form')
      .send('email=x@example.org&consent=true')
      .expect(415);
  });
});

describe('newsletter signup rate limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    // One trusted proxy: X-Forwarded-For names the client.
    t = await createTestApp({ RATE_LIMIT: 'on', TRUST_PROXY_HOPS: '1' });
  });
  afterAll(() => t?.close());

  it('limits requests per target address, whatever the client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const res = await request(t.http)
        .post('/api/newsletter/subscriptions')
        .set('X-Forwarded-For', `203.0.113.${i}`)
        .send({ email: 'victim@example.org', consent: true });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(statuses.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it('limits requests per client across addresses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i += 1) {
      const res = await request(t.http)
        .post('/api/newsletter/subscriptions')
        .set('X-Forwarded-For', '198.51.100.7')
        .send({ email: `many-${i}@example.org`, consent: true });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 202)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
  });
});
