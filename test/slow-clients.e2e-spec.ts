import { connect, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, withAdminClient } from './support/postgres';
import { RunningMain, startMain } from './support/process';

const ADMIN = { Authorization: `Bearer ${'a'.repeat(32)}` };
const SEED_SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

/** Opens a raw socket to the app and resolves how long it stayed open (ms) once the server closed it. */
async function holdOpen(
  url: string,
  drip: (socket: Socket) => NodeJS.Timeout,
  giveUpMs: number,
): Promise<{ ms: number; answer: string }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  const started = Date.now();
  let answer = '';
  socket.on('data', (c: Buffer) => (answer += c.toString()));
  socket.on('error', () => {});
  const timer = drip(socket);
  const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
  await new Promise((resolve) => socket.once('close', resolve));
  clearInterval(timer);
  clearTimeout(giveUp);
  return { ms: Date.now() - started, answer };
}

async function waitFor<T>(probe: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error('timed out waiting');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Replays issue 9 point 10: a slow body kept a socket 314 s and partial headers 74 s on main;
 * abandoned requests left no log line; TypeORM printed query failures as multi-line console text
 * with their parameters; an article of its documented 200,000 characters was refused with 413.
 */
describe('slow and abandoning clients against main.ts', { timeout: 120_000 }, () => {
  let main: RunningMain;
  let databaseName: string;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    databaseName = new URL(databaseUrl).pathname.slice(1);
    main = await startMain({
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      ADMIN_TOKEN: 'a'.repeat(32),
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
    });
  });
  afterAll(() => main?.kill());

  it('closes a socket that sends its headers one line at a time within the headers timeout', async () => {
    const { ms, answer } = await holdOpen(
      main.url,
      (socket) => {
        socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n');
        let n = 0;
        return setInterval(() => socket.write(`X-Slow-${n++}: y\r\n`), 200);
      },
      20_000,
    );
    expect(ms).toBeLessThan(3000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a socket that trickles its body within the request timeout', async () => {
    const { ms } = await holdOpen(
      main.url,
      (socket) => {
        socket.write(
          `POST /api/articles/${SEED_SLUG}/comments HTTP/1.1\r\nHost: x\r\n` +
            'Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"body":"',
        );
        return setInterval(() => socket.write('a'), 100);
      },
      20_000,
    );
    expect(ms).toBeLessThan(4000);
  });

  it('logs a request the client abandoned before the answer, as 499 aborted', async () => {
    const { hostname, port } = new URL(main.url);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/articles/${SEED_SLUG}/comments HTTP/1.1\r\nHost: x\r\n` +
        'X-Request-Id: abandoned-0001\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"authorName":',
    );
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    const entry = await waitFor(() =>
      main
        .logs()
        .map((l) => l.message as Record<string, unknown>)
        .find((m) => typeof m === 'object' && m?.requestId === 'abandoned-0001'),
    );
    expect(entry).toMatchObject({
      method: 'POST',
      path: `/api/articles/${SEED_SLUG}/comments`,
      status: 499,
      aborted: true,
    });
  });

  it('takes an article of 200,000 characters; a comment route still refuses 64 kB', async () => {
    const body = 'é'.repeat(99_999) + '\n\n' + 'ü'.repeat(99_999);
    expect([...body].length).toBe(200_000);
    const article = await fetch(`${main.url}/api/admin/articles`, {
      method: 'POST',
      headers: { ...ADMIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'A very long read', body, status: 'published' }),
    });
    expect(article.status).toBe(201);
    const tooLong = await fetch(`${main.url}/api/admin/articles`, {
      method: 'POST',
      headers: { ...ADMIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'Far too long', body: 'x'.repeat(1_400_000) }),
    });
    expect(tooLong.status).toBe(413);
    const comment = await fetch(`${main.url}/api/articles/${SEED_SLUG}/comments`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        authorName: 'Big',
        authorEmail: 'big@example.com',
        body: 'x'.repeat(70_000),
      }),
    });
    expect(comment.status).toBe(413);
  });

  it('writes a failed query as one JSON line, without its parameters', async () => {
    // Kill the app's sessions while requests are in flight: their queries fail inside TypeORM.
    let running = true;
    let n = 0;
    const writers = Array.from({ length: 6 }, async () => {
      while (running) {
        n += 1;
        await fetch(`${main.url}/api/articles/${SEED_SLUG}/comments`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            authorName: 'During the kill',
            authorEmail: `kill-${n}@example.com`,
            body: `secret-body-${n}`,
          }),
        });
      }
    });
    const allLogs = () =>
      `${main.stdout()}\n${main.stderr()}`
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const failedQuery = () =>
      allLogs().find(
        (l) => l.context === 'Database' && /query failed/.test(JSON.stringify(l.message)),
      );
    for (let i = 0; i < 30 && !failedQuery(); i++) {
      await new Promise((r) => setTimeout(r, 150));
      await withAdminClient((client) =>
        client.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active'`,
          [databaseName],
        ),
      );
    }
    running = false;
    await Promise.all(writers);
    const failed = await waitFor(failedQuery);
    expect(failed.level).toBe('error');
    expect(JSON.stringify(failed.message)).toMatch(
      /"query":"(WITH|INSERT|SELECT|START|UPDATE|COMMIT)/,
    );
    const output = `${main.stdout()}\n${main.stderr()}`;
    const lines = output.split('\n').filter((l) => l.trim() !== '');
    expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]);
    expect(output).not.toContain('secret-body-');
    expect(output).not.toContain('PARAMETERS');
  });
});
