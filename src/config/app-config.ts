import { isAbsolute, resolve } from 'node:path';
import { appRoot } from './app-root';

export type ModerationMode = 'none' | 'first' | 'all';

export type DatabaseConfig =
  { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string; poolSize: number };

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
  moderation: ModerationMode;
  /** Reply depth the reader page indents to; deeper replies are shown at that depth. */
  commentIndentDepth: number;
  mailDispatcher: boolean;
  seed: boolean;
  /** Number of reverse proxies in front of the app whose X-Forwarded-For is believed. */
  trustProxyHops: number;
  /** After SIGTERM: how long health answers 503 while requests are still served, before closing. */
  shutdownDelayMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Extra secret mixed into hashes of emails and IPs; keeps ip hashes unlinkable across sites. */
  hashSecret: string;
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

function databaseConfig(env: Env, dataDir: string): DatabaseConfig {
  const raw = env.DATABASE_URL?.trim();
  if (!raw) {
    return { kind: 'pglite', dataDir: resolve(dataDir, 'pglite') };
  }
  // The value is never echoed: it usually carries a password.
  const shape = 'DATABASE_URL must look like postgres://user:password@host:5432/database';
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
    throw new ConfigError('DATABASE_URL must name a host and a database');
  }
  return { kind: 'postgres', url: raw, poolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 2, 200) };
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
    moderation,
    commentIndentDepth: integer(env, 'COMMENT_INDENT_DEPTH', 5, 1, 20),
    mailDispatcher: onOff(env, 'MAIL_DISPATCHER', true),
    seed: onOff(env, 'SEED', true),
    trustProxyHops: integer(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 5000, 0, 60_000),
    logLevel,
    hashSecret: env.HASH_SECRET?.trim() || 'marginalia',
  };
}
