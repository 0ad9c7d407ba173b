import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './app-config';

function error(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('defaults to the embedded setup', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:3000',
      smtpUrl: null,
      mailFrom: 'Marginalia <no-reply@localhost>',
      adminToken: null,
      rateLimit: true,
      votesPerNetworkPerHour: 10,
      moderation: 'first',
      mailDispatcher: true,
      seed: true,
      trustProxyHops: 0,
      shutdownDelayMs: 5000,
      logLevel: 'info',
      threadCacheMs: 1000,
      threadCacheBytes: 32 * 1024 * 1024,
    });
    expect(config.database.kind).toBe('pglite');
    expect(config.database.kind === 'pglite' && config.database.dataDir).toMatch(/\.data\/pglite$/);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://news.example/',
      DATABASE_URL: 'postgres://u:p@db:5432/marginalia',
      DATABASE_POOL_SIZE: '20',
      SMTP_URL: 'smtp://user:pass@mail:1025',
      MAIL_FROM: 'News <news@example.org>',
      ADMIN_TOKEN: 'x'.repeat(24),
      RATE_LIMIT: 'off',
      VOTES_PER_NETWORK_PER_HOUR: '0',
      MODERATION: 'all',
      MAIL_DISPATCHER: 'off',
      SEED: 'off',
      TRUST_PROXY_HOPS: '2',
      SHUTDOWN_DELAY_MS: '0',
      DATA_DIR: '/var/lib/marginalia',
      HASH_SECRET: 'pepper'.repeat(6),
      LOG_LEVEL: 'debug',
    });
    // toMatchObject: features add variables of their own, tested beside them.
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      publicUrl: 'https://news.example',
      database: {
        kind: 'postgres',
        url: 'postgres://u:p@db:5432/marginalia',
        poolSize: 20,
        preparedStatements: true,
      },
      dataDir: '/var/lib/marginalia',
      smtpUrl: 'smtp://user:pass@mail:1025',
      mailFrom: 'News <news@example.org>',
      adminToken: 'x'.repeat(24),
      rateLimit: false,
      votesPerNetworkPerHour: 0,
      moderation: 'all',
      mailDispatcher: false,
      seed: false,
      trustProxyHops: 2,
      shutdownDelayMs: 0,
      logLevel: 'debug',
      hashSecret: 'pepper'.repeat(6),
      commentIndentDepth: 5,
      mail: expect.any(Object) as unknown,
      notifications: { digestThreshold: 3, digestWindowMs: 600_000 },
    });
  });

  it('puts PGlite under DATA_DIR when there is no DATABASE_URL', () => {
    expect(loadConfig({ DATA_DIR: '/tmp/x' }).database).toEqual({
      kind: 'pglite',
      dataDir: '/tmp/x/pglite',
    });
  });

  it('reads the direct (session) URL and the replica, each defaulting to nothing', () => {
    const url = 'postgres://app@pgbouncer:6432/marginalia';
    expect(loadConfig({ DATABASE_URL: url }).database).toMatchObject({
      url,
      directUrl: undefined,
      replica: undefined,
    });
    expect(
      loadConfig({
        DATABASE_URL: url,
        DATABASE_DIRECT_URL: 'postgres://app@primary:5432/marginalia',
        DATABASE_READ_URL: 'postgres://app@replica:5432/marginalia',
        DATABASE_READ_MAX_LAG_MS: '500',
      }).database,
    ).toMatchObject({
      url,
      directUrl: 'postgres://app@primary:5432/marginalia',
      replica: { url: 'postgres://app@replica:5432/marginalia', maxLagMs: 500 },
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number from 0 to 65535, got "abc"'],
    [{ DATABASE_READ_URL: 'postgres://h/db' }, 'DATABASE_READ_URL needs DATABASE_URL'],
    [
      { DATABASE_URL: 'postgres://h/db', DATABASE_DIRECT_URL: 'x' },
      'DATABASE_DIRECT_URL must look',
    ],
    [
      { DATABASE_URL: 'postgres://h/db', DATABASE_READ_URL: 'postgres://h' },
      'DATABASE_READ_URL must name',
    ],
    [
      {
        DATABASE_URL: 'postgres://h/db',
        DATABASE_READ_URL: 'postgres://r/db',
        DATABASE_READ_MAX_LAG_MS: '5',
      },
      'DATABASE_READ_MAX_LAG_MS must be a whole number from 100 to 60000',
    ],
    [{ PORT: '70000' }, 'PORT must be a whole number'],
    [{ PORT: '-1' }, 'PORT must be a whole number'],
    [{ PORT: '80.5' }, 'PORT must be a whole number'],
    [{ VOTES_PER_NETWORK_PER_HOUR: '-1' }, 'VOTES_PER_NETWORK_PER_HOUR must be a whole number'],
    [{ VOTES_PER_NETWORK_PER_HOUR: 'ten' }, 'VOTES_PER_NETWORK_PER_HOUR must be a whole number'],
    [{ DATABASE_URL: 'nonsense' }, 'DATABASE_URL must look like postgres://'],
    [{ DATABASE_URL: 'mysql://u:p@h/db' }, 'its scheme is "mysql:"'],
    [{ DATABASE_URL: 'postgres://host' }, 'DATABASE_URL must name a host and a database'],
    [{ DATABASE_URL: 'postgres://h/db', DATABASE_POOL_SIZE: '1' }, 'DATABASE_POOL_SIZE'],
    [
      { DATABASE_URL: 'postgres://h/db', DATABASE_PREPARED_STATEMENTS: 'sometimes' },
      'DATABASE_PREPARED_STATEMENTS must be "on" or "off"',
    ],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL must be an absolute http(s) URL'],
    [{ PUBLIC_URL: '/relative' }, 'PUBLIC_URL must be an absolute http(s) URL'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL must be an smtp://'],
    [{ MAIL_FROM: 'not an address' }, 'MAIL_FROM must be'],
    [{ MAIL_FROM: 'a@b.c\nBcc: x@y.z' }, 'MAIL_FROM must be'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN must be at least 24 characters'],
    [{ RATE_LIMIT: 'maybe' }, 'RATE_LIMIT must be "on" or "off"'],
    [{ MAIL_DISPATCHER: '2' }, 'MAIL_DISPATCHER must be "on" or "off"'],
    [{ SEED: 'nope' }, 'SEED must be "on" or "off"'],
    [{ MODERATION: 'some' }, 'MODERATION must be none, first or all'],
    [{ TRUST_PROXY_HOPS: 'true' }, 'TRUST_PROXY_HOPS must be a whole number from 0 to 10'],
    [{ TRUST_PROXY_HOPS: '11' }, 'TRUST_PROXY_HOPS must be a whole number from 0 to 10'],
    [{ SHUTDOWN_DELAY_MS: 'soon' }, 'SHUTDOWN_DELAY_MS must be a whole number'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be debug, info, warn or error'],
    [{ THREAD_CACHE_BYTES: '32MB' }, 'THREAD_CACHE_BYTES must be a whole number from 0 to'],
    [{ THREAD_CACHE_BYTES: '2147483648' }, 'THREAD_CACHE_BYTES must be a whole number from 0 to'],
  ])('rejects %j with one clear sentence', (env, expected) => {
    const message = error(env);
    expect(message).toContain(expected);
    expect(message).not.toMatch(/\n/);
  });

  it('never echoes a URL that may carry a password', () => {
    expect(error({ DATABASE_URL: 'mysql://user:s3cret@h/db' })).not.toContain('s3cret');
    expect(error({ DATABASE_URL: 'postgres//user:s3cret@h/db' })).not.toContain('s3cret');
    expect(error({ SMTP_URL: 'http://user:s3cret@mail' })).not.toContain('s3cret');
  });

  it('keeps a value with a line break on one line', () => {
    expect(error({ PORT: '80\n81' })).toBe(
      'PORT must be a whole number from 0 to 65535, got "80\\n81"',
    );
  });
});
