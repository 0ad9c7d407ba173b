import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TestApp } from './support/app';

const SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

interface Received {
  id: string;
  timestamp: string;
  body: string;
  signatureValid: boolean;
  answered: number;
}

/** A receiver that verifies Standard Webhooks signatures itself (no code shared with the app). */
function verify(secret: string, headers: IncomingMessage['headers'], body: string): boolean {
  const id = String(headers['webhook-id'] ?? '');
  const timestamp = String(headers['webhook-timestamp'] ?? '');
  if (!id || !/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) {
    return false;
  }
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .some((candidate) => {
      const [version, mac] = candidate.split(',');
      const given = Buffer.from(mac ?? '', 'base64');
      return (
        version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected)
      );
    });
}

async function listen(
  host: string,
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  server.listen(0, host);
  await once(server, 'listening');
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}/hook` };
}

async function until<T>(probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error('timed out waiting');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const FAST = {
  WEBHOOK_DISPATCHER: 'on',
  WEBHOOK_POLL_MS: '50',
  WEBHOOK_RETRY_BASE_MS: '50',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
};

describe('webhooks: signed, durable, retried, each event exactly once', () => {
  let t: TestApp;
  let receiver: { server: Server; url: string };
  let secret = '';
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = await listen('127.0.0.1', (req, body, res) => {
      // The first two deliveries fail; the receiver must see them again, with the same id.
      const answered = received.length < 2 ? 500 : 204;
      received.push({
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        body,
        signatureValid: verify(secret, req.headers, body),
        answered,
      });
      res.statusCode = answered;
      res.end();
    });
    t = await createTestApp(FAST);
    const created = await request(t.http)
      .post('/api/admin/webhooks')
      .set(t.admin)
      .send({
        url: receiver.url,
        events: [
          'comment.created',
          'comment.published',
          'comment.held',
          'comment.withdrawn',
          'subscription.confirmed',
        ],
        description: 'test receiver',
      })
      .expect(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    secret = created.body.secret;
  });
  afterAll(async () => {
    await t.close();
    receiver.server.close();
  });

  it('delivers every event of comments and subscriptions once, after two failures', async () => {
    const posted = await request(t.http)
      .post(`/api/articles/${SLUG}/comments`)
      .send({
        authorName: 'Hook <i>',
        authorEmail: 'hook@example.com',
        body: 'Hello *hooks*',
        notify: 'followups',
      })
      .expect(201);
    const id = posted.body.comment.id as string;
    for (const status of ['pending', 'approved']) {
      await request(t.http)
        .patch(`/api/admin/comments/${id}`)
        .set(t.admin)
        .send({ status })
        .expect(200);
    }
    const rows: { url: string }[] = await t.dataSource.query(
      "SELECT payload->>'confirmUrl' AS url FROM email_outbox WHERE template = 'confirm-subscription'",
    );
    const token = new URL(rows[0].url).searchParams.get('token');
    await request(t.http).post('/api/subscriptions/confirm').send({ token }).expect(200);

    const expected = [
      'comment.created',
      'comment.published',
      'comment.held',
      'comment.withdrawn',
      'comment.published',
      'subscription.confirmed',
    ];
    const accepted = await until(() => {
      const ok = received.filter((r) => r.answered === 204);
      return Promise.resolve(ok.length >= expected.length && ok);
    });
    // Give a duplicate the chance to show up before counting.
    await new Promise((r) => setTimeout(r, 500));
    expect(received.every((r) => r.signatureValid)).toBe(true);
    const events = accepted.map(
      (r) =>
        JSON.parse(r.body) as {
          id: string;
          type: string;
          data: { comment?: { id: string; authorName: string } };
        },
    );
    expect(events.map((e) => e.type).sort()).toEqual([...expected].sort());
    expect(new Set(accepted.map((r) => r.id)).size).toBe(accepted.length);
    expect(received.filter((r) => r.answered === 204)).toHaveLength(expected.length);
    for (const e of events) {
      expect(accepted.find((r) => JSON.parse(r.body).id === e.id)?.id).toBe(e.id);
    }
    // The failed deliveries were sent again under the same event id.
    const failed = received.filter((r) => r.answered === 500);
    expect(failed).toHaveLength(2);
    for (const f of failed) {
      expect(accepted.map((r) => r.id)).toContain(f.id);
    }
    const comment = events.find((e) => e.type === 'comment.created')!.data.comment!;
    expect(comment).toMatchObject({ id, authorName: 'Hook <i>' });

    const deliveries = await request(t.http)
      .get(
        `/api/admin/webhooks/${(await request(t.http).get('/api/admin/webhooks').set(t.admin)).body.items[0].id}/deliveries`,
      )
      .set(t.admin)
      .expect(200);
    expect(deliveries.body.items.every((d: { status: string }) => d.status === 'delivered')).toBe(
      true,
    );
    expect(deliveries.body.items.some((d: { attempts: number }) => d.attempts === 2)).toBe(true);
  });
});

describe('webhooks: no SSRF through an admin token', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ WEBHOOK_DISPATCHER: 'on', WEBHOOK_POLL_MS: '50' });
  });
  afterAll(() => t.close());

  it.each([
    'http://127.0.0.1:9/hook',
    'http://localhost:9/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.1.2.3/hook',
    'http://192.168.0.10/hook',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://0.0.0.0/hook',
    'http://100.64.0.1/hook',
  ])('refuses %s with 422 and stores nothing', async (url) => {
    const res = await request(t.http)
      .post('/api/admin/webhooks')
      .set(t.admin)
      .send({ url, events: ['comment.created'] })
      .expect(422);
    expect(res.body.message).toMatch(/url refused/);
    const stored: unknown[] = await t.dataSource.query('SELECT id FROM webhook_endpoints');
    expect(stored).toEqual([]);
  });

  it('rejects malformed requests with 400', async () => {
    await request(t.http)
      .post('/api/admin/webhooks')
      .set(t.admin)
      .send({ url: 'https://example.org', events: ['comment.eaten'] })
      .expect(400);
    await request(t.http)
      .post('/api/admin/webhooks')
      .set(t.admin)
      .send({ url: 'https://example.org', events: [] })
      .expect(400);
    await request(t.http)
      .post('/api/admin/webhooks')
      .set(t.admin)
      .send({ url: 'ftp://example.org', events: ['comment.created'] })
      .expect(422);
    await request(t.http)
      .post('/api/admin/webhooks')
      .send({ url: 'https://example.org', events: ['comment.created'] })
      .expect(401);
  });
});

describe('webhooks: redirects, dead deliveries and disabled endpoints', () => {
  let t: TestApp;
  const servers: Server[] = [];
  let inside = 0;

  beforeAll(async () => {
    t = await createTestApp({
      ...FAST,
      WEBHOOK_MAX_ATTEMPTS: '2',
      WEBHOOK_DISABLE_AFTER: '3',
    });
    await request(t.http)
      .put('/api/admin/settings/moderation')
      .set(t.admin)
      .send({ moderatorEmails: ['mod@example.com'] })
      .expect(200);
  });
  afterAll(async () => {
    await t.close();
    servers.forEach((s) => s.close());
  });

  it('does not follow a redirect to a refused address, and disables an endpoint that keeps failing', async () => {
    // 127.0.0.2 is loopback too, but outside the allowed 127.0.0.1/32.
    const hidden = await listen('127.0.0.2', (_req, _body, res) => {
      inside += 1;
      res.end('secret');
    });
    const redirecting = await listen('127.0.0.1', (_req, _body, res) => {
      res.writeHead(307, { Location: hidden.url });
      res.end();
    });
    servers.push(hidden.server, redirecting.server);
    const endpoint = await request(t.http)
      .post('/api/admin/webhooks')
      .set(t.admin)
      .send({ url: redirecting.url, events: ['comment.created'] })
      .expect(201);
    for (let i = 0; i < 2; i++) {
      await request(t.http)
        .post(`/api/articles/${SLUG}/comments`)
        .send({ authorName: 'R', authorEmail: `r${i}@example.com`, body: `redirect me ${i}` })
        .expect(201);
    }
    const disabled = await until(async () => {
      const res = await request(t.http)
        .get(`/api/admin/webhooks/${endpoint.body.id}`)
        .set(t.admin)
        .expect(200);
      return res.body.status === 'disabled' && res.body;
    });
    expect(disabled.disabledReason).toMatch(/3 failed deliveries in a row/);
    expect(disabled.disabledReason).toMatch(/127\.0\.0\.2.*loopback/);
    expect(inside).toBe(0);
    const deliveries = await request(t.http)
      .get(`/api/admin/webhooks/${endpoint.body.id}/deliveries`)
      .set(t.admin)
      .expect(200);
    expect(deliveries.body.items.map((d: { status: string }) => d.status)).toContain('dead');
    const mail: { recipient: string }[] = await t.dataSource.query(
      "SELECT recipient FROM email_outbox WHERE template = 'webhook-disabled'",
    );
    expect(mail).toEqual([{ recipient: 'mod@example.com' }]);
  });
});
