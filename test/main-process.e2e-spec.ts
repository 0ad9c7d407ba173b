import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/postgres';
import { RunningMain, runTs, startFlags, startMain } from './support/process';

/** The access-log entries (JSON lines written by the HTTP logger) of a running main.ts. */
function accessLog(main: RunningMain): { requestId: string; path: string; ip: string }[] {
  return main
    .logs()
    .filter((l) => l.context === 'HTTP' && typeof l.message === 'object')
    .map((l) => l.message as { requestId: string; path: string; ip: string });
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

describe('how the app is started', () => {
  // --no-allocation-site-pretenuring: the soak's RSS ends about a quarter lower (README, "Memory
  // soak"); the image must run the app as npm start (and the bench, and these tests) do.
  it('runs node in the Docker image with the flags of npm start', () => {
    const dockerfile = readFileSync(join(__dirname, '..', 'Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(cmd).not.toBeNull();
    expect(JSON.parse(cmd![1])).toEqual(['node', ...startFlags(), 'dist/src/main.js']);
    expect(startFlags()).toContain('--no-allocation-site-pretenuring');
  });
});

describe('main.ts refuses a bad configuration', { timeout: 120_000 }, () => {
  it.each([
    [{ DATABASE_URL: 'nonsense' }, /^marginalia: configuration error: DATABASE_URL must look like/],
    [{ PORT: 'abc' }, /^marginalia: configuration error: PORT must be a whole number/],
    [{ TRUST_PROXY_HOPS: 'true' }, /^marginalia: configuration error: TRUST_PROXY_HOPS/],
    [{ LOG_LEVEL: 'loud' }, /^marginalia: configuration error: LOG_LEVEL/],
  ])('%j: exits non-zero with exactly one line on stderr', async (env, line) => {
    const run = await runTs('src/main.ts', [], env);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    const lines = run.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(run.stdout).toBe('');
  });

  it('fails with one line when the database cannot be reached', async () => {
    const run = await runTs('src/main.ts', [], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      PORT: '0',
      LOG_LEVEL: 'error',
    });
    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('marginalia:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^marginalia: failed to start: /);
  });
});

describe('main.ts behind proxies', { timeout: 120_000 }, () => {
  let direct: RunningMain;
  let proxied: RunningMain;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', ADMIN_TOKEN: 'x'.repeat(32) };
    direct = await startMain({ ...env, TRUST_PROXY_HOPS: '0' });
    proxied = await startMain({ ...env, TRUST_PROXY_HOPS: '1' });
  });
  afterAll(() => {
    direct?.kill();
    proxied?.kill();
  });

  it('logs JSON lines with the request id it echoes in X-Request-Id', async () => {
    const res = await fetch(`${direct.url}/api/articles`, {
      headers: { 'X-Request-Id': 'trace-0001-abcd' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-0001-abcd');
    const entry = await waitFor(() =>
      accessLog(direct).find((e) => e.requestId === 'trace-0001-abcd'),
    );
    expect(entry).toMatchObject({ method: 'GET', path: '/api/articles', status: 200 });
    const generated = await fetch(`${direct.url}/api/health`);
    const id = generated.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(() => accessLog(direct).find((e) => e.requestId === id));
    // Every stdout line is one JSON object.
    const lines = direct.stdout().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
  });

  it('with TRUST_PROXY_HOPS=0, X-Forwarded-For cannot change the client address', async () => {
    await fetch(`${direct.url}/api/health`, {
      headers: { 'X-Request-Id': 'xff-direct-0001', 'X-Forwarded-For': '203.0.113.9' },
    });
    const entry = await waitFor(() =>
      accessLog(direct).find((e) => e.requestId === 'xff-direct-0001'),
    );
    expect(entry.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it('with TRUST_PROXY_HOPS=1, only the last hop is believed', async () => {
    await fetch(`${proxied.url}/api/health`, {
      headers: {
        'X-Request-Id': 'xff-proxied-0001',
        // A client forged the first entry; our one proxy appended the address it saw.
        'X-Forwarded-For': '198.51.100.66, 203.0.113.9',
      },
    });
    const entry = await waitFor(() =>
      accessLog(proxied).find((e) => e.requestId === 'xff-proxied-0001'),
    );
    expect(entry.ip).toBe('203.0.113.9');
  });

  it('never writes query strings (tokens) to the log', async () => {
    await fetch(`${direct.url}/api/articles?cursor=secret-token-value`, {
      headers: { 'X-Request-Id': 'no-query-0001' },
    });
    await waitFor(() => accessLog(direct).find((e) => e.requestId === 'no-query-0001'));
    expect(direct.stdout()).not.toContain('secret-token-value');
  });
});
