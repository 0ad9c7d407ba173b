import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AdminRole } from '../auth/admin-token.entity';
import { AdminTokensService } from '../auth/admin-tokens.service';
import { RateLimitedException } from '../common/rate-limit';
import { networkHash } from '../common/client-keys';
import { hashPersonal, hashToken, newToken } from '../common/tokens';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** A session lives at most this long, and ends sooner after this much idleness. */
export const SESSION_HOURS = 12;
export const SESSION_IDLE_MINUTES = 120;

/** Failed sign-ins allowed per network (IPv4 /24, IPv6 /64) per window. */
export const SIGN_IN_FAILURES = { limit: 10, windowSeconds: 15 * 60 };

const SESSION_PREFIX = 'mgses_';
const PASTED_TOKEN = /^[A-Za-z0-9_\-.~+/]{16,256}=*$/;

export interface ConsoleSession {
  id: string;
  tokenName: string;
  role: AdminRole;
  /** The per-session CSRF token every state-changing form carries. */
  csrf: string;
}

export interface SessionListing {
  id: string;
  tokenName: string;
  role: AdminRole;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  current: boolean;
}

/**
 * Console sign-in: an admin or moderator token, pasted once, buys an expiring session cookie.
 * Only the cookie's SHA-256 is stored. A session of a stored token is valid only while that token
 * is live, checked in the same statement that reads the session, so `token revoke` ends it on the
 * next request; a session of the ADMIN_TOKEN ends when that variable changes.
 */
@Injectable()
export class ConsoleSessionsService {
  private readonly envTokenHash: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: AdminTokensService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // An impossible hash when no ADMIN_TOKEN is set: no token-less session can match it.
    this.envTokenHash = config.adminToken ? hashToken(config.adminToken) : '-';
  }

  get secureCookies(): boolean {
    return this.config.publicUrl.startsWith('https:');
  }

  /** Returns the new session's cookie value, or throws 401 / 429 (failures counted per network). */
  async signIn(pasted: string, client: { ip: string; userAgent: string | null }): Promise<string> {
    const bucket = `console:signin:${networkHash(client.ip, this.config.hashSecret).slice(0, 32)}`;
    const windowMs = SIGN_IN_FAILURES.windowSeconds * 1000;
    const windowStart = new Date(Math.floor(Date.now() / windowMs) * windowMs);
    const failures: { count: number }[] = await this.dataSource.query(
      'SELECT count FROM rate_limit_buckets WHERE key = $1 AND window_start = $2',
      [bucket, windowStart],
    );
    if ((failures[0]?.count ?? 0) >= SIGN_IN_FAILURES.limit) {
      throw new RateLimitedException(
        Math.max(1, Math.ceil((windowStart.getTime() + windowMs - Date.now()) / 1000)),
      );
    }
    const token = pasted.trim();
    const principal = PASTED_TOKEN.test(token) ? await this.tokens.verify(token) : null;
    if (!principal) {
      await this.dataSource.query(
        `INSERT INTO rate_limit_buckets (key, window_start, count) VALUES ($1, $2, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_buckets.count + 1`,
        [bucket, windowStart],
      );
      throw new UnauthorizedException('that token is not valid');
    }
    const cookie = newToken(SESSION_PREFIX);
    const principalHash = hashToken(token);
    await this.dataSource.query(
      `INSERT INTO console_sessions
         (session_hash, admin_token_id, principal_hash, token_name, role, ip_hash, user_agent,
          expires_at)
       VALUES ($1, (SELECT id FROM admin_tokens WHERE token_hash = $2 AND revoked_at IS NULL),
         $2, $3, $4, $5, $6, now() + make_interval(hours => $7))`,
      [
        hashToken(cookie),
        principalHash,
        principal.name,
        principal.role,
        hashPersonal(`ip:${client.ip}`, this.config.hashSecret),
        client.userAgent?.slice(0, 300) ?? null,
        SESSION_HOURS,
      ],
    );
    return cookie;
  }

  /**
   * The live session behind a cookie, or null. One statement: it checks expiry, idleness and
   * that the token signed in with is still live, and refreshes `last_seen_at` at most once a
   * minute.
   */
  async resolve(cookie: string | undefined): Promise<ConsoleSession | null> {
    if (!cookie || !cookie.startsWith(SESSION_PREFIX) || cookie.length > 100) {
      return null;
    }
    const rows: { id: string; token_name: string; role: AdminRole }[] = await this.dataSource.query(
      `WITH live AS (
           SELECT s.id, s.token_name, COALESCE(t.role, s.role) AS role, s.last_seen_at
           FROM console_sessions s LEFT JOIN admin_tokens t ON t.id = s.admin_token_id
           WHERE s.session_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now()
             AND s.last_seen_at > now() - make_interval(mins => $3)
             AND ((s.admin_token_id IS NULL AND s.principal_hash = $2)
               OR (t.revoked_at IS NULL AND t.token_hash = s.principal_hash))
         ), touched AS (
           UPDATE console_sessions c SET last_seen_at = now() FROM live
           WHERE c.id = live.id AND live.last_seen_at < now() - interval '1 minute'
           RETURNING c.id
         )
         SELECT id, token_name, role FROM live`,
      [hashToken(cookie), this.envTokenHash, SESSION_IDLE_MINUTES],
    );
    const row = rows[0];
    if (!row) {
      return null;
    }
    return { id: row.id, tokenName: row.token_name, role: row.role, csrf: this.csrfFor(cookie) };
  }

  /** A CSRF token bound to the session: an HMAC keyed by the cookie, which no other site can read. */
  csrfFor(cookie: string): string {
    return createHmac('sha256', cookie).update('marginalia-console-csrf').digest('base64url');
  }

  csrfMatches(session: ConsoleSession, given: unknown): boolean {
    if (typeof given !== 'string' || given.length > 100) {
      return false;
    }
    const a = Buffer.from(session.csrf);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async end(sessionId: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE console_sessions SET ended_at = now() WHERE id = $1 AND ended_at IS NULL',
      [sessionId],
    );
  }

  /**
   * Live sessions, grouped by token name: an admin sees every token's, a moderator its own.
   * Ending one of them is allowed to whoever may see it.
   */
  async list(viewer: ConsoleSession): Promise<SessionListing[]> {
    const rows: {
      id: string;
      token_name: string;
      role: AdminRole;
      created_at: Date;
      last_seen_at: Date;
      expires_at: Date;
      user_agent: string | null;
    }[] = await this.dataSource.query(
      `SELECT s.id, s.token_name, COALESCE(t.role, s.role) AS role, s.created_at, s.last_seen_at,
         s.expires_at, s.user_agent
       FROM console_sessions s LEFT JOIN admin_tokens t ON t.id = s.admin_token_id
       WHERE s.ended_at IS NULL AND s.expires_at > now()
         AND s.last_seen_at > now() - make_interval(mins => $2)
         AND ($1::text IS NULL OR s.token_name = $1)
         AND ((s.admin_token_id IS NULL AND s.principal_hash = $3)
           OR (t.revoked_at IS NULL AND t.token_hash = s.principal_hash))
       ORDER BY s.token_name, s.created_at DESC LIMIT 500`,
      [viewer.role === 'admin' ? null : viewer.tokenName, SESSION_IDLE_MINUTES, this.envTokenHash],
    );
    return rows.map((r) => ({
      id: r.id,
      tokenName: r.token_name,
      role: r.role,
      createdAt: new Date(r.created_at).toISOString(),
      lastSeenAt: new Date(r.last_seen_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      userAgent: r.user_agent,
      current: r.id === viewer.id,
    }));
  }

  /** Ends a listed session; false when the viewer may not see it or it is already over. */
  async endListed(viewer: ConsoleSession, sessionId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH ended AS (
         UPDATE console_sessions SET ended_at = now()
         WHERE id = $1 AND ended_at IS NULL AND ($2::text IS NULL OR token_name = $2)
         RETURNING id
       )
       SELECT id FROM ended`,
      [sessionId, viewer.role === 'admin' ? null : viewer.tokenName],
    );
    return rows.length > 0;
  }
}
