import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import request from 'supertest';
import { EntityManager } from 'typeorm';
import { MailOutbox } from '../src/mail/mail-outbox.service';
import { MailStream } from '../src/mail/email-outbox.entity';
import { OutboxRepository } from '../src/mail/outbox.repository';
import { UnsubscribeLinks } from '../src/mail/unsubscribe-links';
import { createTestApp, TestApp } from './support/app';
import { headerLines, SmtpSink } from './support/smtp-sink';

const FAST = {
  MAIL_DISPATCHER: 'on',
  MAIL_POLL_MS: '100',
  MAIL_RETRY_BASE_MS: '150',
  MAIL_LEASE_MS: '2500',
  MAIL_SEND_TIMEOUT_MS: '1000',
  MAIL_CONCURRENCY: '5',
  MAIL_LANES: '1',
  MAIL_SMTP_CONNECTIONS: '5',
  MAIL_FROM: 'Marginalia <news@marginalia.test>',
};

interface Row {
  id: string;
  status: string;
  attempts: number;
  recipient: string;
  message_id: string | null;
  last_error: string | null;
}

interface TestMail {
  key: string;
  to: string;
  stream?: MailStream;
  notBefore?: Date;
  subscriptionId?: string;
}

function queue(t: TestApp, mails: TestMail[], manager?: EntityManager) {
  const outbox = t.app.get(MailOutbox);
  const work = async (m: EntityManager) => {
    for (const mail of mails) {
      await outbox.enqueue(m, {
        key: mail.key,
        stream: mail.stream ?? 'transactional',
        template: 'newsletter-issue',
        to: mail.to,
        subscriptionId: mail.subscriptionId,
        notBefore: mail.notBefore,
        data: {
          subject: `Test ${mail.key}`,
          bodyHtml: '<p>Hello</p>',
          bodyText: 'Hello',
          articleUrl: null,
        },
      });
    }
  };
  return manager ? work(manager) : t.dataSource.transaction(work);
}

function rows(t: TestApp, keyPrefix: string): Promise<Row[]> {
  return t.dataSource.query(
    `SELECT id, status, attempts, recipient, message_id, last_error FROM email_outbox
      WHERE idempotency_key LIKE $1 ORDER BY idempotency_key`,
    [`${keyPrefix}%`],
  );
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${ms} ms; last value: ${JSON.stringify(value)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function messageIds(sink: SmtpSink, prefix: string): string[] {
  return sink.messages
    .filter((m) => m.to.some((to) => to.startsWith(prefix)))
    .map((m) => headerLines(m.raw, 'Message-ID')[0]);
}

describe('mail delivery through the outbox', () => {
  const sink = new SmtpSink();
  let t: TestApp;

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp({ SMTP_URL: sink.url, ...FAST });
  });
  afterAll(async () => {
    await t?.close();
    await sink.stop();
  });

  it('writes one row per idempotency key, however often the event repeats', async () => {
    await queue(t, [
      { key: 'once:1', to: 'once@example.org' },
      { key: 'once:1', to: 'once@example.org' },
    ]);
    await queue(t, [{ key: 'once:1', to: 'once@example.org' }]);
    const sent = await until(
      () => rows(t, 'once:'),
      (r) => r.every((x) => x.status === 'sent'),
    );
    expect(sent).toHaveLength(1);
    await sleep(300);
    expect(sink.to('once@example.org')).toHaveLength(1);
  });

  it('writes nothing when the causing transaction rolls back', async () => {
    await expect(
      t.dataSource.transaction(async (m) => {
        await queue(t, [{ key: 'rollback:1', to: 'rollback@example.org' }], m);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await rows(t, 'rollback:')).toEqual([]);
  });

  it('delivers every mail exactly once after the SMTP server was down for a while', async () => {
    await sink.stop();
    const mails = Array.from({ length: 20 }, (_, i): TestMail => ({
      key: `outage:${String(i).padStart(2, '0')}`,
      to: `outage-${i}@example.org`,
      stream: i % 2 ? 'newsletter' : 'transactional',
    }));
    await queue(t, mails);
    const failing = await until(
      () => rows(t, 'outage:'),
      (r) => r.every((x) => x.status === 'failed' && x.attempts >= 2),
    );
    expect(failing[0].last_error).toMatch(/ECONNREFUSED|ECONNECTION/);
    expect(sink.messages.filter((m) => m.to[0].startsWith('outage-'))).toHaveLength(0);

    await sink.start();
    const sent = await until(
      () => rows(t, 'outage:'),
      (r) => r.every((x) => x.status === 'sent'),
    );
    await sleep(500);
    const ids = messageIds(sink, 'outage-');
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect(new Set(ids)).toEqual(new Set(sent.map((r) => r.message_id)));
    // No hot loop while the server was down: backoff spaced the attempts.
    expect(Math.max(...sent.map((r) => r.attempts))).toBeLessThanOrEqual(8);
  });

  it('suppresses an address the server refuses with 550 and never retries it', async () => {
    sink.refuse('gone@example.org', 550, '5.1.1 <gone@example.org>: no such user');
    await queue(t, [{ key: 'hard:1', to: 'gone@example.org' }]);
    const [dead] = await until(
      () => rows(t, 'hard:'),
      (r) => r[0]?.status === 'dead',
    );
    expect(dead.attempts).toBe(1);
    expect(dead.last_error).toContain('550');
    const suppressed = await t.dataSource.query(
      "SELECT reason FROM suppressions WHERE email_key = 'gone@example.org'",
    );
    expect(suppressed).toEqual([{ reason: 'hard_bounce' }]);
    await sleep(800);
    expect((await rows(t, 'hard:'))[0].attempts).toBe(1);

    // Later mail to it is skipped at send time, even though it was queued.
    sink.accept('gone@example.org');
    await queue(t, [{ key: 'hard:2', to: 'GONE@example.org' }]);
    const later = await until(
      () => rows(t, 'hard:2'),
      (r) => r[0]?.status !== 'queued' && r[0]?.status !== 'claimed',
    );
    expect(later[0].status).toBe('skipped');
    expect(sink.to('gone@example.org')).toHaveLength(0);

    const listed = await request(t.http)
      .get('/api/admin/emails?status=dead')
      .set(t.admin)
      .expect(200);
    expect(listed.body.items.map((e: { to: string }) => e.to)).toContain('gone@example.org');
  });

  it('retries a 451 later and delivers once the server accepts', async () => {
    sink.refuse('busy@example.org', 451, '4.7.1 greylisted, try again later');
    await queue(t, [{ key: 'soft:1', to: 'busy@example.org' }]);
    const [failed] = await until(
      () => rows(t, 'soft:'),
      (r) => r[0]?.status === 'failed',
    );
    expect(failed.last_error).toContain('451');
    sink.accept('busy@example.org');
    const [sent] = await until(
      () => rows(t, 'soft:'),
      (r) => r[0]?.status === 'sent',
    );
    expect(sent.attempts).toBeGreaterThanOrEqual(2);
    expect(sink.to('busy@example.org')).toHaveLength(1);
    const suppressed = await t.dataSource.query(
      "SELECT 1 FROM suppressions WHERE email_key = 'busy@example.org'",
    );
    expect(suppressed).toEqual([]);
  });

  it('lets an admin retry a dead mail, and only a dead or ambiguous one', async () => {
    sink.refuse('retry-me@example.org', 554, '5.7.1 policy rejection');
    await queue(t, [{ key: 'admin-retry:1', to: 'retry-me@example.org' }]);
    const [dead] = await until(
      () => rows(t, 'admin-retry:'),
      (r) => r[0]?.status === 'dead',
    );
    // A policy rejection is not the recipient's fault: no suppression.
    expect(
      await t.dataSource.query(
        "SELECT 1 FROM suppressions WHERE email_key = 'retry-me@example.org'",
      ),
    ).toEqual([]);
    sink.accept('retry-me@example.org');
    const retried = await request(t.http)
      .post(`/api/admin/emails/${dead.id}/retry`)
      .set(t.admin)
      .expect(200);
    expect(retried.body.status).toBe('queued');
    await until(
      () => rows(t, 'admin-retry:'),
      (r) => r[0]?.status === 'sent',
    );
    expect(sink.to('retry-me@example.org')).toHaveLength(1);
    await request(t.http).post(`/api/admin/emails/${dead.id}/retry`).set(t.admin).expect(409);
    await request(t.http)
      .post('/api/admin/emails/00000000-0000-4000-8000-000000000000/retry')
      .set(t.admin)
      .expect(404);
    await request(t.http).get('/api/admin/emails').expect(401);
  });

  it('answers a retry with the state it made, however fast a dispatcher claims the mail', async () => {
    sink.refuse('retry-race@example.org', 554, '5.7.1 policy rejection');
    await queue(t, [{ key: 'retry-race:1', to: 'retry-race@example.org' }]);
    const [dead] = await until(
      () => rows(t, 'retry-race:'),
      (r) => r[0]?.status === 'dead',
    );
    sink.accept('retry-race@example.org');
    // CI saw the race once: the retry's answer read the row back after a dispatcher, woken by
    // the retry's own NOTIFY, had claimed it. Here the read-back waits (up to 1.5 s) until a
    // dispatcher has taken the row, so whatever can see the dispatcher's work, does.
    const outbox = t.app.get(OutboxRepository);
    const readBack = outbox.findById.bind(outbox);
    const spy = vi.spyOn(outbox, 'findById').mockImplementation(async (id, manager) => {
      await until(
        () => rows(t, 'retry-race:'),
        (r) => r[0]?.status !== 'dead' && r[0]?.status !== 'queued',
        1500,
      ).catch(() => undefined);
      return readBack(id, manager);
    });
    try {
      const retried = await request(t.http)
        .post(`/api/admin/emails/${dead.id}/retry`)
        .set(t.admin)
        .expect(200);
      expect(retried.body.status).toBe('queued');
      expect(retried.body.attempts).toBe(0);
    } finally {
      spy.mockRestore();
    }
    await until(
      () => rows(t, 'retry-race:'),
      (r) => r[0]?.status === 'sent',
    );
    expect(sink.to('retry-race@example.org')).toHaveLength(1);
  });

  it('does not send mail whose subscription was withdrawn before it went out', async () => {
    const subscriptions = await t.dataSource.query(
      `INSERT INTO subscriptions (id, kind, email, email_key, status, unsubscribe_token_hash,
         consent_at, consent_source, consent_text_version)
       VALUES (gen_random_uuid(), 'newsletter', 'leaver@example.org', 'leaver@example.org',
         'confirmed', md5(random()::text), now(), 'test', 'v1')
       RETURNING id`,
    );
    const id: string = subscriptions[0].id;
    const links = t.app.get(UnsubscribeLinks);
    const token = await links.tokenFor(id);
    const { createHash } = await import('node:crypto');
    await t.dataSource.query('UPDATE subscriptions SET unsubscribe_token_hash = $1 WHERE id = $2', [
      createHash('sha256').update(token).digest('hex'),
      id,
    ]);
    await queue(t, [
      {
        key: 'withdrawn:1',
        to: 'leaver@example.org',
        stream: 'newsletter',
        subscriptionId: id,
        notBefore: new Date(Date.now() + 1500),
      },
    ]);
    await request(t.http).post('/api/unsubscribe').send({ token }).expect(200);
    await sleep(2000);
    expect((await rows(t, 'withdrawn:'))[0].status).toBe('skipped');
    expect(sink.to('leaver@example.org')).toHaveLength(0);
  });

  it('treats a send that outlives its deadline as uncertain: transactional resent, newsletter not', async () => {
    sink.dataDelayMs = 1500;
    await queue(t, [
      { key: 'slow:tx', to: 'slow-tx@example.org', stream: 'transactional' },
      { key: 'slow:nl', to: 'slow-nl@example.org', stream: 'newsletter' },
    ]);
    await until(
      () => rows(t, 'slow:nl'),
      (r) => r[0]?.status === 'ambiguous',
    );
    sink.dataDelayMs = 0;
    const [tx] = await until(
      () => rows(t, 'slow:tx'),
      (r) => r[0]?.status === 'sent',
    );
    await sleep(1800);
    // The stalled first attempt may still land: then both copies share one Message-ID.
    const txIds = messageIds(sink, 'slow-tx@');
    expect(txIds.length).toBeGreaterThanOrEqual(1);
    expect(new Set(txIds)).toEqual(new Set([tx.message_id]));
    expect(messageIds(sink, 'slow-nl@').length).toBeLessThanOrEqual(1);
    expect((await rows(t, 'slow:nl'))[0].status).toBe('ambiguous');
  });
});

describe('several dispatchers on one outbox', () => {
  const sink = new SmtpSink();
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    await sink.start();
    a = await createTestApp({ SMTP_URL: sink.url, ...FAST, MAIL_BATCH_SIZE: '10' });
    b = await createTestApp(
      { SMTP_URL: sink.url, ...FAST, MAIL_BATCH_SIZE: '10' },
      { databaseUrl: a.databaseUrl },
    );
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await sink.stop();
  });

  it('delivers each of 200 mails exactly once with two instances dispatching', async () => {
    const mails = Array.from({ length: 200 }, (_, i): TestMail => ({
      key: `pair:${String(i).padStart(3, '0')}`,
      to: `pair-${i}@example.org`,
      stream: 'newsletter',
    }));
    await queue(a, mails);
    await until(
      () => rows(a, 'pair:'),
      (r) => r.length === 200 && r.every((x) => x.status === 'sent'),
      30_000,
    );
    await sleep(500);
    const ids = messageIds(sink, 'pair-');
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    for (let i = 0; i < 200; i += 1) {
      expect(sink.to(`pair-${i}@example.org`)).toHaveLength(1);
    }
  });
});

describe('a dispatcher that dies mid-batch', () => {
  const sink = new SmtpSink();
  let crashed: TestApp;
  let survivor: TestApp | undefined;

  beforeAll(async () => {
    await sink.start();
    // Its dispatcher is off: the test drives its repository to claim, as a dispatcher would.
    crashed = await createTestApp({ SMTP_URL: sink.url, ...FAST, MAIL_DISPATCHER: 'off' });
  });
  afterAll(async () => {
    await survivor?.close();
    await crashed?.close();
    await sink.stop();
  });

  it('has its rows reclaimed after the lease: unstarted ones sent, mid-send ones by stream', async () => {
    await queue(crashed, [
      { key: 'crash:claimed:1', to: 'claimed-1@example.org', stream: 'newsletter' },
      { key: 'crash:claimed:2', to: 'claimed-2@example.org', stream: 'notification' },
      { key: 'crash:sending:tx', to: 'sending-tx@example.org', stream: 'transactional' },
      { key: 'crash:sending:nl', to: 'sending-nl@example.org', stream: 'newsletter' },
    ]);
    const repository = crashed.app.get(OutboxRepository);
    const claimed = await repository.claimDue('crashed-instance', 10, 1500);
    expect(claimed).toHaveLength(4);
    // It got as far as starting two sends, then the process died.
    const midSend = claimed.filter((c) => c.recipient.startsWith('sending-')).map((c) => c.id);
    expect(await repository.beginAttempts(midSend, 'crashed-instance', 1500)).toEqual(
      new Set(midSend),
    );

    survivor = await createTestApp(
      { SMTP_URL: sink.url, ...FAST },
      { databaseUrl: crashed.databaseUrl },
    );
    await sleep(500);
    // Within the lease nobody touches them.
    expect(sink.messages).toHaveLength(0);
    const settled = await until(
      () => rows(crashed, 'crash:'),
      (r) => r.every((x) => ['sent', 'ambiguous'].includes(x.status)),
    );
    const byKey = Object.fromEntries(settled.map((r) => [r.recipient, r.status]));
    expect(byKey).toEqual({
      'claimed-1@example.org': 'sent',
      'claimed-2@example.org': 'sent',
      'sending-tx@example.org': 'sent',
      'sending-nl@example.org': 'ambiguous',
    });
    expect(sink.to('claimed-1@example.org')).toHaveLength(1);
    expect(sink.to('claimed-2@example.org')).toHaveLength(1);
    expect(sink.to('sending-tx@example.org')).toHaveLength(1);
    expect(sink.to('sending-nl@example.org')).toHaveLength(0);
    const ambiguous = await request(survivor.http)
      .get('/api/admin/emails?status=ambiguous')
      .set(survivor.admin)
      .expect(200);
    expect(ambiguous.body.items).toHaveLength(1);
    expect(ambiguous.body.items[0].lastError).toContain('delivery unknown');
  });
});

describe('waking on NOTIFY, and DKIM', () => {
  const sink = new SmtpSink();
  let t: TestApp;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp({
      SMTP_URL: sink.url,
      ...FAST,
      // Polling alone would take a minute: only NOTIFY can make the mail arrive in time.
      MAIL_POLL_MS: '60000',
      DKIM_DOMAIN: 'marginalia.test',
      DKIM_SELECTOR: 'mail2026',
      DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    await sleep(500);
  });
  afterAll(async () => {
    await t?.close();
    await sink.stop();
  });

  it('sends a new row at once, and signs both unsubscribe headers', async () => {
    const started = Date.now();
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: 'quick@example.org', consent: true })
      .expect(202);
    const mail = await sink.waitFor('quick@example.org', 5_000);
    expect(mail.receivedAt - started).toBeLessThan(3_000);
    const [signature] = headerLines(mail.raw, 'DKIM-Signature');
    expect(signature).toContain('d=marginalia.test');
    expect(signature).toContain('s=mail2026');
    const signed = /\bh=([^;]+)/.exec(signature)![1].replace(/\s+/g, '').toLowerCase().split(':');
    expect(signed).toEqual(
      expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post', 'from', 'subject']),
    );
  });
});

describe('shutting an instance down mid-batch', () => {
  const sink = new SmtpSink();
  let first: TestApp;
  let second: TestApp | undefined;

  beforeAll(async () => {
    await sink.start();
    sink.dataDelayMs = 50;
    first = await createTestApp({
      SMTP_URL: sink.url,
      ...FAST,
      MAIL_BATCH_SIZE: '50',
      MAIL_CONCURRENCY: '5',
      MAIL_LANES: '1',
    });
  });
  afterAll(async () => {
    await second?.close();
    await sink.stop();
  });

  it('finishes the mails in flight, hands back the rest, and loses none', async () => {
    const mails = Array.from({ length: 40 }, (_, i): TestMail => ({
      key: `drain:${String(i).padStart(2, '0')}`,
      to: `drain-${i}@example.org`,
      stream: 'newsletter',
    }));
    await queue(first, mails);
    await sink.waitForCount(5);
    const { databaseUrl } = first;
    await first.close();

    second = await createTestApp(
      { SMTP_URL: sink.url, ...FAST, MAIL_DISPATCHER: 'off' },
      { databaseUrl },
    );
    const afterStop = await rows(second, 'drain:');
    expect(afterStop.filter((r) => ['claimed', 'sending'].includes(r.status))).toEqual([]);
    expect(afterStop.filter((r) => r.status === 'sent').length).toBe(
      sink.messages.filter((m) => m.to[0].startsWith('drain-')).length,
    );
    expect(afterStop.some((r) => r.status === 'queued')).toBe(true);
    // MAIL_DISPATCHER=off: this instance leaves the queue alone.
    const delivered = sink.messages.length;
    await sleep(600);
    expect(sink.messages.length).toBe(delivered);
    expect((await rows(second, 'drain:')).filter((r) => r.status === 'queued').length).toBe(
      afterStop.filter((r) => r.status === 'queued').length,
    );
    await second.close();

    sink.dataDelayMs = 0;
    second = await createTestApp({ SMTP_URL: sink.url, ...FAST }, { databaseUrl });
    await until(
      () => rows(second!, 'drain:'),
      (r) => r.every((x) => x.status === 'sent'),
    );
    await sleep(300);
    const ids = messageIds(sink, 'drain-');
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });
});
