import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { isDatabaseUnavailable } from '../http/database-errors';
import { dataSourceOptions } from './data-source-options';
import { pathOf, setCookie } from '../http/request-info';
import { ReadContext } from './read-context';

/** Carries "this browser wrote something lately" (a time in ms), so its reads see the write. */
export const FRESH_COOKIE = 'marginalia_fresh';

/** Writes after which the writer's own reads must see them: comments, votes, edits, moderation. */
const WRITE_PATHS = /^\/(?:api\/articles\/|api\/comments\/|articles\/|api\/admin\/comments)/;

/** The admin API and the moderation console: their reads are never a replica's. */
const ADMIN_PATHS = /^\/(?:api\/)?admin(?:\/|$)/i;

/** A write finishes within the client-side query timeouts; its reads stay on the primary that long. */
const WRITE_MS = 5_000;

/** `x/y` (PostgreSQL's pg_lsn as text) as a comparable number. */
function lsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/**
 * Routes public reads (article, thread pages, counts, the article list) to the streaming replica
 * given by DATABASE_READ_URL while it keeps up, and everything else to the primary:
 * - writes, admin reads and whatever is read to decide a write never come here (only the
 *   repository methods that serve public GETs ask, and only with the ReadContext of a public
 *   GET, which their callers pass down from the request; everyone else passes PRIMARY_READS);
 * - a client that wrote within the last few seconds carries the `marginalia_fresh` cookie, and
 *   its reads go to the primary (and around the thread cache), whichever instance answers;
 * - the lag is measured every `maxLagMs / 5` (at most 200 ms): the newest primary WAL position the
 *   replica has replayed tells since when it is behind; past `maxLagMs`, or when it does not
 *   answer, reads go to the primary until it catches up.
 */
@Injectable()
export class ReadReplica implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReadReplica');
  private replica: DataSource | null = null;
  private timer: NodeJS.Timeout | null = null;
  private samples: { at: number; lsn: bigint }[] = [];
  private replayed: bigint | null = null;
  private lagMs = Number.POSITIVE_INFINITY;
  private healthy = false;
  private nextConnectAt = 0;
  private catchUps: (() => void)[] = [];
  private watching = false;

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get settings() {
    return this.config.database.kind === 'postgres' ? this.config.database.replica : undefined;
  }

  /** Runs a public read on the replica when it may serve these reads, else on the primary. */
  async publicRead<T>(reads: ReadContext, work: (source: DataSource) => Promise<T>): Promise<T> {
    const replica = this.usable(reads) ? this.replica : null;
    if (!replica) {
      return work(this.primary);
    }
    try {
      return await work(replica);
    } catch (error) {
      // Down, or a query cancelled by a recovery conflict: the primary can answer.
      if (!isDatabaseUnavailable(error) && !isRecoveryConflict(error)) {
        throw error;
      }
      this.healthy = false;
      return work(this.primary);
    }
  }

  /** Measured lag in ms (Infinity when unknown or down); for health output and tests. */
  status(): { configured: boolean; healthy: boolean; lagMs: number } {
    return { configured: !!this.settings, healthy: this.healthy, lagMs: this.lagMs };
  }

  /**
   * Runs `then` once the replica has replayed what the primary holds now (at once without a
   * replica). Whoever empties a cache on a change empties it again then, so a page read from a
   * replica a moment behind is not kept.
   */
  afterReplicaCatchesUp(then: () => void): void {
    if (!this.settings || !this.healthy || !this.replica) {
      return;
    }
    if (this.catchUps.length < 1_000) {
      this.catchUps.push(then);
    }
    if (!this.watching) {
      void this.watchCatchUps(this.replica, this.settings.maxLagMs);
    }
  }

  /**
   * One watcher per instance, however many changes arrive: it takes the primary's position now
   * and polls the replica every 10 ms until it has replayed that far (the lag bound at most), then
   * runs everything registered meanwhile; what was registered during the wait gets the next round.
   */
  private async watchCatchUps(replica: DataSource, maxLagMs: number): Promise<void> {
    this.watching = true;
    try {
      while (this.catchUps.length) {
        const due = this.catchUps.splice(0);
        try {
          const [primary] = await this.primary.query<{ lsn: string }[]>(
            'SELECT pg_current_wal_lsn()::text AS lsn',
          );
          const target = lsn(primary.lsn);
          const deadline = Date.now() + maxLagMs;
          for (;;) {
            const [standby] = await replica.query<{ recovery: boolean; lsn: string | null }[]>(
              'SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS lsn',
            );
            if (!standby.recovery || (standby.lsn && lsn(standby.lsn) >= target)) {
              break;
            }
            if (Date.now() > deadline) {
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        } finally {
          for (const run of due) {
            run();
          }
        }
      }
    } catch {
      // The replica or the primary did not answer: run what waits; the lag probe takes over.
      for (const run of this.catchUps.splice(0)) {
        run();
      }
    } finally {
      this.watching = false;
    }
  }

  private usable(reads: ReadContext): boolean {
    const settings = this.settings;
    return (
      !!settings &&
      reads.publicRead &&
      !reads.freshWriter &&
      this.healthy &&
      this.lagMs <= settings.maxLagMs
    );
  }

  onApplicationBootstrap(): void {
    const settings = this.settings;
    if (!settings) {
      return;
    }
    const every = Math.min(200, Math.floor(settings.maxLagMs / 5));
    this.timer = setInterval(() => void this.measure(), every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
    }
    const replica = this.replica;
    this.replica = null;
    await replica?.destroy().catch(() => undefined);
  }

  private measuring = false;

  private async measure(): Promise<void> {
    const settings = this.settings;
    if (!settings || this.measuring) {
      return;
    }
    this.measuring = true;
    try {
      if (!this.replica && !(await this.connect(settings.url))) {
        return;
      }
      const at = Date.now();
      const [primary] = await this.primary.query<{ lsn: string }[]>(
        'SELECT pg_current_wal_lsn()::text AS lsn',
      );
      const [standby] = await this.replica!.query<{ recovery: boolean; lsn: string | null }[]>(
        'SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS lsn',
      );
      const now = lsn(primary.lsn);
      this.samples.push({ at, lsn: now });
      const keep = Math.ceil((settings.maxLagMs * 3) / 200) + 5;
      if (this.samples.length > keep) {
        this.samples.splice(0, this.samples.length - keep);
      }
      // Not in recovery: DATABASE_READ_URL names a primary (itself, say), which never lags.
      this.replayed = standby.recovery ? (standby.lsn ? lsn(standby.lsn) : null) : now;
      const caughtUp = this.samples.filter((s) => this.replayed !== null && s.lsn <= this.replayed);
      const since = caughtUp.length ? caughtUp[caughtUp.length - 1].at : this.samples[0].at - 1;
      const wasUsable = this.healthy && this.lagMs <= settings.maxLagMs;
      this.lagMs = Math.max(0, Date.now() - since - (Date.now() - at));
      this.healthy = true;
      if (wasUsable !== this.lagMs <= settings.maxLagMs) {
        this.logger.log(
          this.lagMs <= settings.maxLagMs
            ? 'replica caught up: public reads go to it'
            : `replica lags ${this.lagMs} ms: public reads go to the primary`,
        );
      }
    } catch (error) {
      if (this.healthy) {
        this.logger.warn(`replica unavailable (${String(error)}): public reads go to the primary`);
      }
      this.healthy = false;
      this.lagMs = Number.POSITIVE_INFINITY;
    } finally {
      this.measuring = false;
    }
  }

  private async connect(url: string): Promise<boolean> {
    if (Date.now() < this.nextConnectAt) {
      return false;
    }
    this.nextConnectAt = Date.now() + 5_000;
    const database = this.config.database;
    const poolSize = database.kind === 'postgres' ? database.poolSize : 2;
    try {
      this.replica = await new DataSource(
        dataSourceOptions({ kind: 'postgres', url, poolSize }),
      ).initialize();
      return true;
    } catch (error) {
      this.logger.warn(`replica unreachable (${String(error)}); retrying in 5 s`);
      return false;
    }
  }
}

function isRecoveryConflict(error: unknown): boolean {
  const code = (error as { driverError?: { code?: string }; code?: string } | null)?.driverError
    ?.code;
  return code === '40001' || (error as { code?: string } | null)?.code === '40001';
}

/**
 * Marks each request as a public read or not, and as coming from a fresh writer or not, in its
 * `reads` (which controllers pass down with `@Reads()`); hands a client that writes a
 * comment-side change the cookie that keeps its reads on the primary. A Fastify onRequest hook
 * (configureHttp installs it).
 */
@Injectable()
export class ReadRouting {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  install(fastify: FastifyInstance): void {
    // Declared up front, so every request object is built with the property (one shape).
    fastify.decorateRequest('reads', null);
    fastify.addHook('onRequest', this.onRequest);
  }

  private readonly onRequest = (
    request: FastifyRequest,
    reply: FastifyReply,
    done: () => void,
  ): void => {
    const now = Date.now();
    const cookie = request.headers.cookie;
    const fresh = cookie ? Number(/(?:^|;\s*)marginalia_fresh=(\d{1,15})/.exec(cookie)?.[1]) : NaN;
    const read = request.method === 'GET' || request.method === 'HEAD';
    const path = pathOf(request);
    if (!read && WRITE_PATHS.test(path) && this.config.database.kind === 'postgres') {
      const replica = this.config.database.replica;
      const windowMs = WRITE_MS + (replica ? replica.maxLagMs : 0);
      setCookie(reply, FRESH_COOKIE, String(now + windowMs), {
        maxAgeMs: windowMs,
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
      });
    }
    request.reads = {
      publicRead: read && !ADMIN_PATHS.test(path),
      freshWriter: Number.isFinite(fresh) && fresh > now,
    };
    done();
  };
}
