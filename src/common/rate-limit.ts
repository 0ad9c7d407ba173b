import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { mailboxKey, networkKey } from './client-keys';
import { hashPersonal } from './tokens';

/** 429 carrying how long to wait; the exception filter turns it into `Retry-After`. */
export class RateLimitedException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('too many requests; try again later', HttpStatus.TOO_MANY_REQUESTS);
  }
}

export interface RateRule {
  /** What is limited, e.g. "comment:ip" (part of the bucket key). */
  name: string;
  limit: number;
  windowSeconds: number;
  /**
   * What the subject is, so that every caller keys alike: a client IP (counted per network, see
   * networkKey), an email address (counted per mailbox, see mailboxKey), or an opaque key.
   */
  per: 'network' | 'mailbox' | 'key';
}

function subjectKey(rule: RateRule, subject: string): string {
  switch (rule.per) {
    case 'network':
      return networkKey(subject);
    case 'mailbox':
      return `mailbox:${mailboxKey(subject)}`;
    default:
      return subject;
  }
}

/**
 * Fixed-window limits counted in PostgreSQL, so they hold across every instance. One upsert
 * statement for all the checks of a request; keys are hashed, so the table holds no raw IPs or
 * addresses.
 */
@Injectable()
export class RateLimiter {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counts one hit against each (rule, subject) pair; throws 429 if any is over its limit. */
  async consume(checks: { rule: RateRule; subject: string | null }[]): Promise<void> {
    if (!this.config.rateLimit) {
      return;
    }
    const now = Date.now();
    const buckets = new Map<string, { windowStart: number; rule: RateRule }>();
    for (const { rule, subject } of checks) {
      const windowMs = rule.windowSeconds * 1000;
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const hashed = hashPersonal(subjectKey(rule, subject ?? ''), this.config.hashSecret);
      buckets.set(`${rule.name}:${hashed.slice(0, 32)}`, { windowStart, rule });
    }
    // One statement for every bucket, keys in sorted order: two callers sharing buckets lock
    // them in the same order, so they queue instead of deadlocking.
    const keys = [...buckets.keys()].sort();
    const rows: { key: string; count: number }[] = await this.dataSource.query(
      `INSERT INTO rate_limit_buckets (key, window_start, count)
       SELECT b.key, b.window_start, 1
         FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS b(key, window_start, n)
        ORDER BY b.n
       ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_buckets.count + 1
       RETURNING key, count`,
      [keys, keys.map((k) => new Date(buckets.get(k)!.windowStart))],
    );
    let retryAfter = 0;
    for (const { key, count } of rows) {
      const { rule, windowStart } = buckets.get(key)!;
      if (count > rule.limit) {
        const windowEnd = windowStart + rule.windowSeconds * 1000;
        retryAfter = Math.max(retryAfter, Math.ceil((windowEnd - Date.now()) / 1000));
      }
    }
    if (Math.random() < 0.01) {
      await this.dataSource.query(
        "DELETE FROM rate_limit_buckets WHERE window_start < now() - interval '1 day'",
      );
    }
    if (retryAfter > 0) {
      throw new RateLimitedException(Math.max(1, retryAfter));
    }
  }
}
