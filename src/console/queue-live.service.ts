import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ServerResponse } from 'node:http';
import { FastifyReply } from 'fastify';
import { takeOver } from '../http/request-info';
import { getPGliteInstance } from 'typeorm-pglite';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LifecycleService } from '../health/lifecycle.service';
import { CHANGES_CHANNEL, ChangeFeed } from '../database/change-feed';
import { QueueCounts } from '../moderation/queue-review.repository';
import { QueueReviewService } from '../moderation/queue-review.service';

/** The most console streams one instance keeps open; more answer 503. */
export const MAX_STREAMS = 200;
const DEBOUNCE_MS = 150;
const TICK_MS = 5_000;
const PING_EVERY_TICKS = 5;

/**
 * Live queue counts for every open console. Every committed change to a comment or a report is
 * announced on the one change channel (`marginalia_changes`, see the NotifyCommentChanges and
 * AnnounceReportsOnChangeFeed migrations) that also empties the thread caches; each instance hears
 * it through its ChangeFeed (one LISTEN connection on the direct URL), reads the counts once per
 * burst and sends them to its server-sent-event streams. So a decision made through any instance,
 * the API or the console, moves the badges on every screen. On embedded PGlite the same NOTIFY
 * arrives through PGlite's own listen(). The listener starts with the first stream.
 */
@Injectable()
export class QueueLiveService implements OnModuleDestroy {
  private readonly logger = new Logger('ConsoleLive');
  private readonly streams = new Set<ServerResponse>();
  private listening = false;
  private unsubscribe: (() => void) | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private ticks = 0;
  private last: QueueCounts | null = null;

  constructor(
    private readonly review: QueueReviewService,
    private readonly lifecycle: LifecycleService,
    private readonly feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Opens an event stream on the reply (Fastify steps aside; the stream is written to the socket);
   * false when this instance is full or shutting down.
   */
  open(reply: FastifyReply): boolean {
    if (this.lifecycle.shuttingDown || this.streams.size >= MAX_STREAMS) {
      return false;
    }
    const res = takeOver(reply);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    this.startListening();
    if (this.last) {
      this.send(res, this.last);
    }
    this.changed();
    return true;
  }

  private startListening(): void {
    if (!this.ticker) {
      this.ticker = setInterval(() => this.tick(), TICK_MS);
      this.ticker.unref();
    }
    if (this.listening) {
      return;
    }
    this.listening = true;
    if (this.config.database.kind === 'postgres') {
      // Articles do not move queue counts; a lost feed (null) may have missed anything.
      this.unsubscribe = this.feed.subscribe((change) => {
        if (!change || change.table !== 'articles') {
          this.changed();
        }
      });
      return;
    }
    getPGliteInstance()
      .then((pg) => pg.listen(CHANGES_CHANNEL, () => this.changed()))
      .then((unlisten) => {
        this.unlisten = () => unlisten();
      })
      .catch((error: unknown) => this.logger.warn(`could not listen on PGlite: ${String(error)}`));
  }

  /** A burst of notifications becomes one read of the counts and one event per stream. */
  private changed(): void {
    if (this.debounce || this.streams.size === 0) {
      return;
    }
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.review
        .counts()
        .then((counts) => {
          this.last = counts;
          for (const res of this.streams) {
            this.send(res, counts);
          }
        })
        .catch((error: unknown) =>
          this.logger.warn(`could not read queue counts: ${String(error)}`),
        );
    }, DEBOUNCE_MS);
  }

  private send(res: ServerResponse, counts: QueueCounts): void {
    res.write(`event: counts\ndata: ${JSON.stringify(counts)}\n\n`);
  }

  /** Keeps proxies from closing idle streams, and ends every stream once shutdown begins. */
  private tick(): void {
    if (this.lifecycle.shuttingDown) {
      this.closeAll();
      return;
    }
    this.ticks += 1;
    if (this.ticks % PING_EVERY_TICKS === 0) {
      for (const res of this.streams) {
        res.write(': ping\n\n');
      }
    }
  }

  private closeAll(): void {
    for (const res of this.streams) {
      res.end();
    }
    this.streams.clear();
  }

  async onModuleDestroy(): Promise<void> {
    this.closeAll();
    if (this.ticker) {
      clearInterval(this.ticker);
    }
    if (this.debounce) {
      clearTimeout(this.debounce);
    }
    this.unsubscribe?.();
    await this.unlisten?.().catch(() => undefined);
  }
}
