import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { mailboxKey, networkKey } from './client-keys';
import { Housekeeping } from './housekeeping';
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

export interface RateCheck {
  rule: RateRule;
  subject: string | null;
}

export interface BucketCount {
  key: string;
  count: number;
}

export interface PlannedHits {
  /** The bucket keys (text[]) and window starts (timestamptz[]), for consumeSql's placeholders. */
  params: [string[], string[]];
  /** Throws 429 (RateLimitedException) if a returned count is over its rule's limit. */
  settle(rows: BucketCount[]): void;
}

/**
 * The upsert counting one hit per bucket, given the placeholders of the keys and window starts;
 * the caller appends a RETURNING clause (key, count) or carries it as a CTE.
 */
export function consumeSql(keys: string, windowStarts: string): string {
  return `INSERT INTO rate_limit_buckets (key, window_start, count)
       SELECT b.key, b.window_start, 1
         FROM unnest(${keys}::text[], ${windowStarts}::timestamptz[]) WITH ORDINALITY
           AS b(key, window_start, n)
        ORDER BY b.n
       ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_buckets.count + 1`;
}

/**
 * Fixed-window limits counted in PostgreSQL, so they hold across every instance. One upsert
 * statement for all the checks of a request; keys are hashed, so the table holds no raw IPs or
 * addresses. Windows older than a day are swept by the housekeeping.
 */
@Injectable()
export class RateLimiter {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    housekeeping: Housekeeping,
  ) {
    housekeeping.register({
      name: 'rate-limit windows',
      sql: "DELETE FROM rate_limit_buckets WHERE window_start < now() - interval '1 day'",
    });
  }

  /** Counts one hit against each (rule, subject) pair; throws 429 if any is over its limit. */
  async consume(checks: RateCheck[]): Promise<void> {
    const hits = this.plan(checks);
    if (!hits) {
      return;
    }
    const rows: BucketCount[] = await this.dataSource.query(
      `${consumeSql('$1', '$2')} RETURNING key, count`,
      hits.params,
    );
    hits.settle(rows);
  }

  /**
   * The hits of a request for a caller that counts them inside a statement of its own (see
   * consumeSql): the parameters to pass, and `settle` to call with the rows it returned. Null when
   * rate limits are off.
   */
  plan(checks: RateCheck[]): PlannedHits | null {
    if (!this.config.rateLimit) {
      return null;
    }
    const now = Date.now();
    const buckets = new Map<string, { windowStart: number; rule: RateRule }>();
    for (const { rule, subject } of checks) {
      const windowMs = rule.windowSeconds * 1000;
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const hashed = hashPersonal(subjectKey(rule, subject ?? ''), this.config.hashSecret);
      buckets.set(`${rule.name}:${hashed.slice(0, 32)}`, { windowStart, rule });
    }
    // Keys in sorted order: two callers sharing buckets lock them in the same order, so they
    // queue instead of deadlocking.
    const keys = [...buckets.keys()].sort();
    return {
      // Window starts as ISO text: pg formats a Date in local time, field by field, at several
      // microseconds each.
      params: [keys, keys.map((k) => new Date(buckets.get(k)!.windowStart).toISOString())],
      settle: (rows) => {
        let retryAfter = 0;
        for (const { key, count } of rows) {
          const { rule, windowStart } = buckets.get(key)!;
          if (count > rule.limit) {
            const windowEnd = windowStart + rule.windowSeconds * 1000;
            retryAfter = Math.max(retryAfter, Math.ceil((windowEnd - Date.now()) / 1000));
          }
        }
        if (retryAfter > 0) {
          throw new RateLimitedException(Math.max(1, retryAfter));
        }
      },
    };
  }
}
