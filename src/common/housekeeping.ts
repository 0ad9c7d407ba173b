import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** How often each instance deletes what has expired. */
const EVERY_MS = 60_000;

/** A DELETE of rows past their use (expired windows, claims, moves), named for the logs. */
export interface Sweep {
  name: string;
  sql: string;
}

/**
 * Deletes expired rows off the request path: every minute (with jitter, so instances started
 * together do not sweep together), each instance runs every registered sweep in one statement.
 * Requests never pay for it, and a table holds at most a minute past what its window needs; the
 * deletes are idempotent, so instances sweeping at once only find less to delete. Features
 * register their sweeps when they are constructed.
 */
@Injectable()
export class Housekeeping implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Housekeeping');
  private readonly sweeps: Sweep[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly dataSource: DataSource) {}

  register(sweep: Sweep): void {
    this.sweeps.push(sweep);
  }

  onApplicationBootstrap(): void {
    const next = () => {
      this.timer = setTimeout(
        () => void this.sweepNow().finally(next),
        EVERY_MS * (0.75 + Math.random() / 2),
      );
      this.timer.unref();
    };
    next();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
  }

  /** Runs every sweep now, in one statement; a failure is logged and tried again next time. */
  async sweepNow(): Promise<void> {
    if (this.sweeps.length === 0) {
      return;
    }
    const steps = this.sweeps.map((s, i) => `s${i} AS (${s.sql})`).join(',\n');
    try {
      await this.dataSource.query(`WITH ${steps} SELECT 1`);
    } catch (error) {
      this.logger.warn(
        `sweeping ${this.sweeps.map((s) => s.name).join(', ')} failed: ${String(error)}`,
      );
    }
  }
}
