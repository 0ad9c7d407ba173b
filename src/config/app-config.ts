import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { appRoot } from './app-root';

export type ModerationMode = 'none' | 'first' | 'all';

export type DatabaseConfig = { kind: 'pglite'; dataDir: string } | PostgresConfig;

export interface PostgresConfig {
  kind: 'postgres';
  /** Transactions only: may point at PgBouncer in pool_mode=transaction. */
  url: string;
  poolSize: number;
  /**
   * The hot paths' large statements are prepared once per connection (src/database/prepared.ts);
   * off for a pooler that does not carry prepared statements across server sessions.
   */
  preparedStatements: boolean;
  /** Session work (migration lock, LISTEN) needs a real session; unset means `url`. */
  directUrl?: string;
  /** A streaming replica for public reads, used while it lags at most `maxLagMs`. */
  replica?: { url: string; maxLagMs: number };
}

/** Where session-bound work goes: DATABASE_DIRECT_URL, else DATABASE_URL. */
export function sessionUrl(db: PostgresConfig): string {
  return db.directUrl ?? db.url;
}

/** Everything the process reads from its environment, parsed and validated once at boot. */
export interface AppConfig {
  port: number;
  host: string;
  publicUrl: string;
  database: DatabaseConfig;
  /** Where embedded state lives: PGlite files and `.eml` mail. */
  dataDir: string;
  smtpUrl: string | null;
  mailFrom: string;
  adminToken: string | null;
  rateLimit: boolean;
  /**
   * How far one network (IPv4 /24, IPv6 /64) may move one comment's score in an hour, whatever
   * voter ids it sends; 0 turns the cap off. A public write limit: `RATE_LIMIT=off` lifts it too.
   */
  votesPerNetworkPerHour: number;
  moderation: ModerationMode;
  /** Reply depth the reader page indents to; deeper replies are shown at that depth. */
  commentIndentDepth: number;
  /** How long one instance may serve a public thread page from memory (0 turns it off). */
  threadCacheMs: number;
  /** The most memory those pages may take, in bytes (their JSON text, keys and overhead). */
  threadCacheBytes: number;
  mailDispatcher: boolean;
  seed: boolean;
  /** Number of reverse proxies in front of the app whose X-Forwarded-For is believed. */
  trustProxyHops: number;
  /** After SIGTERM: how long health answers 503 while requests are still served, before closing. */
  shutdownDelayMs: number;
  /** Socket bounds against slow clients (node:http's headersTimeout, requestTimeout, keepAliveTimeout). */
  http: HttpTimeouts;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Secret mixed into hashes of emails and IPs. HASH_SECRET, or else (empty here) one generated at
   * first start and kept in the database: filled in at start-up, before any request.
   */
  hashSecret: string;
  /** The outbox dispatcher's knobs, DKIM and the unsubscribe-link key. */
  mail: MailConfig;
  notifications: NotificationsConfig;
  imports: { maxBytes: number };
  webhooks: WebhooksConfig;
}

export interface WebhooksConfig {
  /** Whether this instance delivers webhooks (WEBHOOK_DISPATCHER). */
  dispatcher: boolean;
  /** Networks a receiver may be in although they are private, loopback or link-local. */
  allowedNetworks: string[];
  /**
   * The safety poll: the longest an idle dispatcher sleeps. NOTIFY wakes it for new deliveries
   * and it wakes itself when a retry falls due; this only bounds a lost notification.
   */
  pollMs: number;
  timeoutMs: number;
  leaseMs: number;
  retryBaseMs: number;
  /** Attempts of one delivery before it is dead. */
  maxAttempts: number;
  /** Failed attempts in a row (no success between) after which an endpoint is disabled. */
  disableAfter: number;
}

export interface HttpTimeouts {
  /** A request's headers must all arrive within this; else 408 and the socket is closed. */
  headersTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive socket is kept. */
  keepAliveTimeoutMs: number;
}

export interface NotificationsConfig {
  /** Single notification mails one address may get within the window; the rest become a digest. */
  digestThreshold: number;
  /** The flood window, and how long a digest collects before it is sent. */
  digestWindowMs: number;
}

export interface MailConfig {
  /** How long a claimed batch belongs to one dispatcher; must outlast one send's deadline. */
  leaseMs: number;
  /**
   * The safety poll: the longest an idle dispatcher sleeps. NOTIFY wakes it for new mail and it
   * wakes itself when a row falls due (a retry, a digest); this only bounds a lost notification.
   */
  pollMs: number;
  /** First retry delay; doubles per attempt, with jitter, capped at six hours. */
  retryBaseMs: number;
  maxAttempts: number;
  /** Hard deadline around one SMTP send, whatever nodemailer's own timeouts do. */
  sendTimeoutMs: number;
  batchSize: number;
  /** Mails attempted together in one wave (marked `sending` and recorded in one statement each). */
  concurrency: number;
  /** Independent claim-and-send loops per instance: one's database round trips overlap another's sends. */
  lanes: number;
  /** Pooled SMTP connections per instance, and so sends in progress at once. */
  smtpConnections: number;
  dkim: { domainName: string; keySelector: string; privateKey: string } | null;
  /** Key unsubscribe tokens are derived from; unset → generated once and kept in the database. */
  tokenSecret: string | null;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** A bad value quoted and escaped, so the error stays on one line whatever it contains. */
function shown(value: string | undefined): string {
  return JSON.stringify(value ?? '');
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (['on', 'true', '1', 'yes'].includes(raw)) {
    return true;
  }
  if (['off', 'false', '0', 'no'].includes(raw)) {
    return false;
  }
  throw new ConfigError(`${name} must be "on" or "off", got ${shown(env[name])}`);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(
      `${name} must be a whole number from ${min} to ${max}, got ${shown(raw)}`,
    );
  }
  return Number(raw);
}

function httpUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got ${shown(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got ${shown(raw)}`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** A postgres:// URL from the environment; the value is never echoed (it may carry a password). */
function postgresUrl(name: string, raw: string): string {
  const shape = `${name} must look like postgres://user:password@host:5432/database`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${shape} (it is not a URL)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${shape} (its scheme is "${url.protocol}")`);
  }
  if (!url.hostname || url.pathname.length <= 1) {
    throw new ConfigError(`${name} must name a host and a database`);
  }
  return raw;
}

function databaseConfig(env: Env, dataDir: string): DatabaseConfig {
  const raw = env.DATABASE_URL?.trim();
  if (!raw) {
    for (const name of ['DATABASE_DIRECT_URL', 'DATABASE_READ_URL']) {
      if (env[name]?.trim()) {
        throw new ConfigError(`${name} needs DATABASE_URL`);
      }
    }
    return { kind: 'pglite', dataDir: resolve(dataDir, 'pglite') };
  }
  const direct = env.DATABASE_DIRECT_URL?.trim();
  const read = env.DATABASE_READ_URL?.trim();
  return {
    kind: 'postgres',
    url: postgresUrl('DATABASE_URL', raw),
    poolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 2, 200),
    preparedStatements: onOff(env, 'DATABASE_PREPARED_STATEMENTS', true),
    directUrl: direct ? postgresUrl('DATABASE_DIRECT_URL', direct) : undefined,
    replica: read
      ? {
          url: postgresUrl('DATABASE_READ_URL', read),
          maxLagMs: integer(env, 'DATABASE_READ_MAX_LAG_MS', 1000, 100, 60_000),
        }
      : undefined,
  };
}

function dkimConfig(env: Env): MailConfig['dkim'] {
  const domainName = env.DKIM_DOMAIN?.trim();
  const keySelector = env.DKIM_SELECTOR?.trim();
  const inline = env.DKIM_PRIVATE_KEY?.trim();
  const file = env.DKIM_PRIVATE_KEY_FILE?.trim();
  if (!domainName && !keySelector && !inline && !file) {
    return null;
  }
  if (!domainName || !keySelector || (!inline && !file)) {
    throw new ConfigError(
      'DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY (or DKIM_PRIVATE_KEY_FILE)',
    );
  }
  if (!/^[a-z0-9.-]+$/i.test(domainName) || !/^[a-z0-9._-]+$/i.test(keySelector)) {
    throw new ConfigError('DKIM_DOMAIN and DKIM_SELECTOR must be plain DNS labels');
  }
  let privateKey = inline ?? '';
  if (file) {
    try {
      privateKey = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(`DKIM_PRIVATE_KEY_FILE cannot be read: "${file}"`);
    }
  }
  privateKey = privateKey.replace(/\\n/g, '\n');
  try {
    createPrivateKey(privateKey);
  } catch {
    throw new ConfigError('DKIM private key is not a valid PEM private key');
  }
  return { domainName: domainName.toLowerCase(), keySelector, privateKey };
}

function mailConfig(env: Env): MailConfig {
  const sendTimeoutMs = integer(env, 'MAIL_SEND_TIMEOUT_MS', 30_000, 100, 600_000);
  const leaseMs = integer(env, 'MAIL_LEASE_MS', 180_000, 200, 3_600_000);
  const concurrency = integer(env, 'MAIL_CONCURRENCY', 10, 1, 200);
  const lanes = integer(env, 'MAIL_LANES', 2, 1, 8);
  const smtpConnections = integer(env, 'MAIL_SMTP_CONNECTIONS', 5, 1, 50);
  // A wave's rows are leased while they wait for a connection and then send; the lease must
  // outlast the worst case, or a live dispatcher's mail would look abandoned.
  const worstWaveMs = sendTimeoutMs * Math.ceil((concurrency * lanes) / smtpConnections);
  if (leaseMs <= worstWaveMs + 1_000) {
    throw new ConfigError(
      `MAIL_LEASE_MS must be longer than ${worstWaveMs + 1_000} ms: MAIL_SEND_TIMEOUT_MS × ` +
        'ceil(MAIL_CONCURRENCY × MAIL_LANES / MAIL_SMTP_CONNECTIONS), plus a second',
    );
  }
  const tokenSecret = env.TOKEN_SECRET?.trim() || null;
  if (tokenSecret !== null && tokenSecret.length < 32) {
    throw new ConfigError('TOKEN_SECRET must be at least 32 characters long');
  }
  return {
    leaseMs,
    pollMs: integer(env, 'MAIL_POLL_MS', 30_000, 10, 600_000),
    retryBaseMs: integer(env, 'MAIL_RETRY_BASE_MS', 30_000, 1, 3_600_000),
    maxAttempts: integer(env, 'MAIL_MAX_ATTEMPTS', 10, 1, 100),
    sendTimeoutMs,
    batchSize: integer(env, 'MAIL_BATCH_SIZE', 100, 1, 1000),
    concurrency,
    lanes,
    smtpConnections,
    dkim: dkimConfig(env),
    tokenSecret,
  };
}

function notificationsConfig(env: Env): NotificationsConfig {
  const raw = env.NOTIFY_DIGEST_WINDOW_MINUTES?.trim();
  let minutes = 10;
  if (raw !== undefined && raw !== '') {
    // Fractions are allowed (0.5 = 30 seconds) for small sites and for tests.
    minutes = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
    if (!(minutes >= 0.01 && minutes <= 1440)) {
      throw new ConfigError(
        `NOTIFY_DIGEST_WINDOW_MINUTES must be a number of minutes from 0.01 to 1440, got "${raw}"`,
      );
    }
  }
  return {
    digestThreshold: integer(env, 'NOTIFY_DIGEST_THRESHOLD', 3, 1, 1000),
    digestWindowMs: Math.round(minutes * 60_000),
  };
}

function networks(env: Env, name: string): string[] {
  const raw = env[name]?.trim();
  if (!raw) {
    return [];
  }
  return raw.split(',').map((entry) => {
    const cidr = entry.trim();
    const [address, bits] = cidr.split('/');
    const prefix = bits === undefined ? null : Number(bits);
    const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(address);
    const v6 = !v4 && /^[0-9a-f:.]+$/i.test(address) && address.includes(':');
    const max = v4 ? 32 : 128;
    if (
      (!v4 && !v6) ||
      (prefix !== null && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max))
    ) {
      throw new ConfigError(
        `${name} must be a comma-separated list of addresses or CIDR ranges, got ${shown(raw)}`,
      );
    }
    return prefix === null ? `${address}/${max}` : cidr;
  });
}

function webhooksConfig(env: Env): WebhooksConfig {
  const timeoutMs = integer(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000);
  return {
    dispatcher: onOff(env, 'WEBHOOK_DISPATCHER', true),
    allowedNetworks: networks(env, 'WEBHOOK_ALLOWED_NETWORKS'),
    pollMs: integer(env, 'WEBHOOK_POLL_MS', 30_000, 10, 600_000),
    timeoutMs,
    // Four redirects of one attempt, each with its own deadline, fit in one lease.
    leaseMs: timeoutMs * 5 + 5_000,
    retryBaseMs: integer(env, 'WEBHOOK_RETRY_BASE_MS', 10_000, 1, 3_600_000),
    maxAttempts: integer(env, 'WEBHOOK_MAX_ATTEMPTS', 8, 1, 50),
    disableAfter: integer(env, 'WEBHOOK_DISABLE_AFTER', 20, 1, 10_000),
  };
}

function smtpUrl(env: Env): string | null {
  const raw = env.SMTP_URL?.trim();
  if (!raw) {
    return null;
  }
  try {
    const url = new URL(raw);
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
      throw new Error();
    }
  } catch {
    // The value is never echoed: it usually carries a password.
    throw new ConfigError(
      'SMTP_URL must be an smtp:// or smtps:// URL like smtp://user:pass@host:587',
    );
  }
  return raw;
}

function mailFrom(env: Env): string {
  const raw = env.MAIL_FROM?.trim() || 'Marginalia <no-reply@localhost>';
  if (/[\r\n]/.test(raw) || !/^[^<>]*<[^<>@\s]+@[^<>@\s]+>$|^[^<>@\s]+@[^<>@\s]+$/.test(raw)) {
    throw new ConfigError(`MAIL_FROM must be "Name <address>" or an address, got ${shown(raw)}`);
  }
  return raw;
}

function httpTimeouts(env: Env): HttpTimeouts {
  const headersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 500, 120_000);
  const requestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000);
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new ConfigError(
      'HTTP_REQUEST_TIMEOUT_MS must not be shorter than HTTP_HEADERS_TIMEOUT_MS',
    );
  }
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 1000, 600_000),
  };
}

/** Parses the environment; throws ConfigError with one clear sentence on the first bad value. */
export function loadConfig(env: Env = process.env): AppConfig {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST?.trim() || '127.0.0.1';
  const dataDirRaw = env.DATA_DIR?.trim() || '.data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(appRoot, dataDirRaw);
  const moderation = (env.MODERATION?.trim() || 'first') as ModerationMode;
  if (!['none', 'first', 'all'].includes(moderation)) {
    throw new ConfigError(`MODERATION must be none, first or all, got ${shown(env.MODERATION)}`);
  }
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as AppConfig['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(
      `LOG_LEVEL must be debug, info, warn or error, got ${shown(env.LOG_LEVEL)}`,
    );
  }
  const adminToken = env.ADMIN_TOKEN?.trim() || null;
  if (adminToken !== null && adminToken.length < 24) {
    throw new ConfigError('ADMIN_TOKEN must be at least 24 characters long');
  }
  return {
    port,
    host,
    publicUrl: httpUrl('PUBLIC_URL', env.PUBLIC_URL?.trim() || `http://localhost:${port}`),
    database: databaseConfig(env, dataDir),
    dataDir,
    smtpUrl: smtpUrl(env),
    mailFrom: mailFrom(env),
    adminToken,
    rateLimit: onOff(env, 'RATE_LIMIT', true),
    votesPerNetworkPerHour: integer(env, 'VOTES_PER_NETWORK_PER_HOUR', 10, 0, 10_000),
    moderation,
    commentIndentDepth: integer(env, 'COMMENT_INDENT_DEPTH', 5, 1, 20),
    threadCacheMs: integer(env, 'THREAD_CACHE_MS', 1000, 0, 60_000),
    threadCacheBytes: integer(env, 'THREAD_CACHE_BYTES', 32 * 1024 * 1024, 0, 1024 * 1024 * 1024),
    mailDispatcher: onOff(env, 'MAIL_DISPATCHER', true),
    seed: onOff(env, 'SEED', true),
    trustProxyHops: integer(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 5000, 0, 60_000),
    http: httpTimeouts(env),
    logLevel,
    hashSecret: hashSecret(env),
    mail: mailConfig(env),
    notifications: notificationsConfig(env),
    imports: { maxBytes: integer(env, 'IMPORT_MAX_MB', 1024, 1, 102_400) * 1024 * 1024 },
    webhooks: webhooksConfig(env),
  };
}

/** Empty when unset: a public default would let anyone reverse an IP hash by brute force. */
function hashSecret(env: Env): string {
  const secret = env.HASH_SECRET?.trim() ?? '';
  if (secret && secret.length < 32) {
    throw new ConfigError(
      'HASH_SECRET must be at least 32 characters long (or unset: one is generated)',
    );
  }
  return secret;
}
