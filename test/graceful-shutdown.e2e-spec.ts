import { Agent, IncomingMessage, request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/postgres';
import { RunningMain, startMain } from './support/process';

const SEED_SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

interface Answer {
  status: number;
  body: string;
  reusedSocket: boolean;
  connection: string | undefined;
}

function get(url: string, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          body,
          reusedSocket: req.reusedSocket,
          connection: res.headers.connection,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('SIGTERM', () => {
  let main: RunningMain | undefined;
  let locker: Client | undefined;
  afterAll(async () => {
    main?.kill();
    await locker?.end().catch(() => undefined);
  });

  it('flips health to 503, finishes the request in flight, then exits 0', async () => {
    const databaseUrl = await createTestDatabase();
    main = await startMain({
      DATABASE_URL: databaseUrl,
      ADMIN_TOKEN: 'x'.repeat(32),
      LOG_LEVEL: 'info',
      SHUTDOWN_DELAY_MS: '3000',
    });
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const inFlightAgent = new Agent({ keepAlive: false });
    expect((await get(`${main.url}/api/health`, keepAlive)).status).toBe(200);

    // Hold the articles table so the next read blocks inside the app.
    locker = new Client({ connectionString: databaseUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE articles IN ACCESS EXCLUSIVE MODE');
    const inFlight = get(`${main.url}/api/articles/${SEED_SLUG}`, inFlightAgent);
    await new Promise((r) => setTimeout(r, 300));

    main.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));

    // Same keep-alive socket as before: health now says 503 and asks the client to go away.
    const draining = await get(`${main.url}/api/health`, keepAlive);
    expect(draining.reusedSocket).toBe(true);
    expect(draining.status).toBe(503);
    expect(JSON.parse(draining.body)).toEqual({ status: 'shutting-down', db: 'unknown' });
    expect(draining.connection).toBe('close');
    // A new connection during the delay gets the same answer.
    expect((await get(`${main.url}/api/health`, new Agent())).status).toBe(503);

    await locker.query('COMMIT');
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(JSON.parse(finished.body).slug).toBe(SEED_SLUG);

    const exit = await main.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const messages = main.logs().map((l) => String(l.message));
    expect(messages.some((m) => m.includes('SIGTERM received'))).toBe(true);
    expect(messages.some((m) => m.includes('drained; exiting'))).toBe(true);
    keepAlive.destroy();
    inFlightAgent.destroy();
  });

  it('refuses new connections once the delay is over, but lets a slow request finish', async () => {
    const databaseUrl = await createTestDatabase();
    main = await startMain({
      DATABASE_URL: databaseUrl,
      ADMIN_TOKEN: 'x'.repeat(32),
      SHUTDOWN_DELAY_MS: '0',
    });
    locker = new Client({ connectionString: databaseUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE articles IN ACCESS EXCLUSIVE MODE');
    const inFlight = get(`${main.url}/api/articles/${SEED_SLUG}`, new Agent());
    await new Promise((r) => setTimeout(r, 300));
    main.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await expect(get(`${main.url}/api/health`, new Agent())).rejects.toThrow(/ECONNREFUSED/);
    await new Promise((r) => setTimeout(r, 700));
    await locker.query('COMMIT');
    expect((await inFlight).status).toBe(200);
    expect(await main.exited).toEqual({ code: 0, signal: null });
  });
});
