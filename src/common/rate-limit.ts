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
 * Fixed-window limits counted in PostgreSQL, so they hold across every instance. One upsert per
 * check; keys are hashed, so the table holds no raw IPs or addresses.
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
    let retryAfter = 0;
    for (const { rule, subject } of checks) {
      const windowMs = rule.windowSeconds * 1000;
      const windowStart = Math.floor(Date.now() / windowMs) * windowMs;
      const hashed = hashPersonal(subjectKey(rule, subject ?? ''), this.config.hashSecret);
      const key = `${rule.name}:${hashed.slice(0, 32)}`;
      const rows: { count: number }[] = await this.dataSource.query(
        `INSERT INTO rate_limit_buckets (key, window_start, count) VALUES ($1, $2, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_buckets.count + 1
         RETURNING count`,
        [key, new Date(windowStart)],
      );
      if (rows[0].count > rule.limit) {
        retryAfter = Math.max(retryAfter, Math.ceil((windowStart + windowMs - Date.now()) / 1000));
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
