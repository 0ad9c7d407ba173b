import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_APPLICATION_NAME, PgNotifications } from '../src/database/pg-notifications';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { createEmbeddedTestApp, createTestApp, TestApp } from './support/app';
import { waitForEml } from './support/eml-files';
import { createTestDatabase, withAdminClient } from './support/postgres';
import { RoundTrips } from './support/round-trips';
import { SmtpSink } from './support/smtp-sink';

/** A minute: anything that arrives within seconds was woken, not found by the safety poll. */
const SAFETY_POLL = {
  MAIL_DISPATCHER: 'on',
  MAIL_POLL_MS: '60000',
  WEBHOOK_DISPATCHER: 'on',
  WEBHOOK_POLL_MS: '60000',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
};

interface Hook {
  type: string;
  commentId: string | undefined;
  at: number;
  answered: number;
}

/** A webhook receiver that answers each delivery with the next status of `answers` (then 204). */
class Receiver {
  readonly hooks: Hook[] = [];
  answers: number[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const event = JSON.parse(body) as { type: string; data: { comment?: { id: string } } };
        const answered = this.answers.shift() ?? 204;
        this.hooks.push({
          type: event.type,
          commentId: event.data.comment?.id,
          at: Date.now(),
          answered,
        });
        res.statusCode = answered;
        res.end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }

  /** The attempts that carried `commentId`, waiting until there are `count` of them. */
  async attemptsFor(commentId: string, count: number, timeoutMs: number): Promise<Hook[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const attempts = this.hooks.filter((h) => h.commentId === commentId);
      if (attempts.length >= count) {
        return attempts;
      }
      if (Date.now() > deadline) {
        throw new Error(`${attempts.length} of ${count} deliveries within ${timeoutMs} ms`);
      }
      await sleep(20);
    }
  }

  stop(): void {
    this.server?.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function subscribe(t: Pick<TestApp, 'http'>, email: string): Promise<number> {
  await request(t.http)
    .post('/api/newsletter/subscriptions')
    .send({ email, consent: true })
    .expect(202);
  return Date.now();
}

async function addEndpoint(t: Pick<TestApp, 'http' | 'admin'>, url: string): Promise<void> {
  await request(t.http)
    .post('/api/admin/webhooks')
    .set(t.admin)
    .send({ url, events: ['comment.created'] })
    .expect(201);
}

/** The instance's LISTEN backends (by application name) on `database`. */
async function listeners(database: string): Promise<{ pid: number; app: string; query: string }[]> {
  return withAdminClient(
    async (client) =>
      (
        await client.query<{ pid: number; app: string; query: string }>(
          `SELECT pid, application_name AS app, query FROM pg_stat_activity
            WHERE datname = $1 AND application_name LIKE 'marginalia-%'`,
          [database],
        )
      ).rows,
  );
}

const databaseName = (url: string) => new URL(url).pathname.slice(1);

describe('an idle instance, as configured by default', () => {
  const sink = new SmtpSink();
  let trips: RoundTrips;
  let t: TestApp;
  let database: string;

  beforeAll(async () => {
    await sink.start();
    trips = await RoundTrips.start();
    const direct = await createTestDatabase();
    database = databaseName(direct);
    t = await createTestApp(
      { MAIL_DISPATCHER: 'on', WEBHOOK_DISPATCHER: 'on', SMTP_URL: sink.url },
      { databaseUrl: trips.route(direct) },
    );
    await t.app.get(PgNotifications).listening();
  });
  afterAll(async () => {
    await t?.close();
    trips?.stop();
    await sink.stop();
  });

  it('holds one LISTEN connection and sends PostgreSQL nothing', async () => {
    expect((await listeners(database)).map((l) => l.app)).toEqual([LISTENER_APPLICATION_NAME]);
    // Boot's first looks for work (and the look the first LISTEN causes) are over by then.
    await sleep(1_000);
    const idle = await trips.of(() => sleep(5_000));
    console.log(`idle instance, both dispatchers on: ${idle} round trips in 5 s`);
    expect(idle).toBeLessThanOrEqual(1);
  });
});

describe('one LISTEN connection wakes the mail and webhook dispatchers and the change feed', () => {
  const sink = new SmtpSink();
  const receiver = new Receiver();
  let t: TestApp;
  let database: string;
  let article: TestArticle;

  beforeAll(async () => {
    await sink.start();
    await receiver.start();
    t = await createTestApp({
      ...SAFETY_POLL,
      SMTP_URL: sink.url,
      MAIL_RETRY_BASE_MS: '1000',
      WEBHOOK_RETRY_BASE_MS: '1000',
      THREAD_CACHE_MS: '60000',
    });
    database = databaseName(t.databaseUrl);
    await t.app.get(PgNotifications).listening();
    await addEndpoint(t, receiver.url);
    article = await createArticle(t);
  });
  afterAll(async () => {
    await t?.close();
    receiver.stop();
    await sink.stop();
  });

  it('delivers a webhook at once after the event, though the safety poll is a minute', async () => {
    const posted = await postComment(t, article.slug);
    const started = Date.now();
    const [hook] = await receiver.attemptsFor(posted.comment.id, 1, 10_000);
    console.log(`webhook delivered ${hook.at - started} ms after the comment`);
    expect(hook.at - started).toBeLessThan(3_000);
  });

  it('retries a failed webhook when it falls due, not at the safety poll', async () => {
    receiver.answers = [503];
    const posted = await postComment(t, article.slug);
    const [first, second] = await receiver.attemptsFor(posted.comment.id, 2, 10_000);
    console.log(`webhook retried ${second.at - first.at} ms after its failed attempt`);
    expect([first.answered, second.answered]).toEqual([503, 204]);
    // WEBHOOK_RETRY_BASE_MS=1000 with ±20% jitter: due 0.8–1.2 s after the failure.
    expect(second.at - first.at).toBeGreaterThanOrEqual(750);
    expect(second.at - first.at).toBeLessThan(4_000);
  });

  it('retries a mail the server deferred when it falls due, not at the safety poll', async () => {
    sink.refuse('deferred@example.org', 451, 'try again later');
    await subscribe(t, 'deferred@example.org');
    const failedAt = await waitForRow(t, 'deferred@example.org', 'failed');
    sink.accept('deferred@example.org');
    const mail = await sink.waitFor('deferred@example.org', 10_000);
    console.log(`mail retried ${mail.receivedAt - failedAt} ms after its deferred attempt`);
    // MAIL_RETRY_BASE_MS=1000 with ±20% jitter.
    expect(mail.receivedAt - failedAt).toBeLessThan(4_000);
  });

  it('survives the LISTEN connection being killed: what was queued meanwhile goes out, and all wakes again', async () => {
    const [before] = await listeners(database);
    await withAdminClient((c) => c.query('SELECT pg_terminate_backend($1)', [before.pid]));
    while ((await listeners(database)).some((l) => l.pid === before.pid)) {
      await sleep(10);
    }
    // Queued while nobody listens: these NOTIFYs are lost; the reconnect must make up for them.
    const deafAt = await subscribe(t, 'while-deaf@example.org');
    const unheard = await postComment(t, article.slug);
    const [lateMail, [lateHook]] = await Promise.all([
      sink.waitFor('while-deaf@example.org', 15_000),
      receiver.attemptsFor(unheard.comment.id, 1, 15_000),
    ]);
    console.log(
      `after the kill: mail ${lateMail.receivedAt - deafAt} ms, webhook ${lateHook.at - deafAt} ms`,
    );
    expect(lateMail.receivedAt - deafAt).toBeLessThan(5_000);
    expect(lateHook.at - deafAt).toBeLessThan(5_000);

    const after = await listeners(database);
    expect(after).toHaveLength(1);
    expect(after[0].pid).not.toBe(before.pid);
    expect(after[0].query).toMatch(/LISTEN/);

    // Heard again: mail, a webhook and the change feed (a change made behind the app's back
    // empties the minute-long thread cache).
    const mailAt = await subscribe(t, 'after-reconnect@example.org');
    const posted = await postComment(t, article.slug, { authorName: 'Before SQL' });
    const [mail, [hook]] = await Promise.all([
      sink.waitFor('after-reconnect@example.org', 10_000),
      receiver.attemptsFor(posted.comment.id, 1, 10_000),
    ]);
    expect(mail.receivedAt - mailAt).toBeLessThan(3_000);
    expect(hook.at - mailAt).toBeLessThan(3_000);
    const names = async () =>
      (
        (await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200)).body as {
          items: { authorName: string }[];
        }
      ).items.map((c) => c.authorName);
    expect(await names()).toContain('Before SQL');
    await t.dataSource.query("UPDATE comments SET author_name = 'Renamed in SQL' WHERE id = $1", [
      posted.comment.id,
    ]);
    const deadline = Date.now() + 2_000;
    while (!(await names()).includes('Renamed in SQL')) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(20);
    }
  });
});

describe('the embedded default (PGlite): the same wake-ups within the one process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'marginalia-listen-embedded-'));
  const receiver = new Receiver();
  let t: Awaited<ReturnType<typeof createEmbeddedTestApp>>;

  beforeAll(async () => {
    await receiver.start();
    t = await createEmbeddedTestApp(dataDir, SAFETY_POLL);
    await t.app.get(PgNotifications).listening();
    await addEndpoint(t, receiver.url);
  });
  afterAll(async () => {
    await t?.close();
    receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends mail and delivers a webhook at once, though the safety poll is a minute', async () => {
    expect(t.config.database.kind).toBe('pglite');
    // Boot's first looks for work are over; from here only a wake-up can find new rows.
    await sleep(500);
    const article = await createArticle(t as TestApp);
    const subscribed = await subscribe(t, 'embedded@example.org');
    await waitForEml(join(dataDir, 'mail'), 'embedded@example.org', 1, 3_000);
    const posted = await postComment(t as TestApp, article.slug);
    const [hook] = await receiver.attemptsFor(posted.comment.id, 1, 3_000);
    console.log(`embedded: mail and webhook within ${hook.at - subscribed} ms`);
  });
});

/** Waits until the one mail to `recipient` has `status`; returns when that was seen. */
async function waitForRow(t: TestApp, recipient: string, status: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows: { status: string }[] = await t.dataSource.query(
      'SELECT status FROM email_outbox WHERE recipient = $1',
      [recipient],
    );
    if (rows[0]?.status === status) {
      return Date.now();
    }
    if (Date.now() > deadline) {
      throw new Error(`the mail to ${recipient} is ${rows[0]?.status ?? 'missing'}, not ${status}`);
    }
    await sleep(20);
  }
}
