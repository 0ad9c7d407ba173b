import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Client } from 'pg';
import { APP_CONFIG, AppConfig, sessionUrl } from '../config/app-config';

/** The channel the `marginalia_notify_change` trigger announces committed changes on. */
export const CHANGES_CHANNEL = 'marginalia_changes';

/** One committed change, as the trigger describes it. */
export interface Change {
  table: 'comments' | 'comment_reports' | 'articles';
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  articleId: string;
  /** For comments and reports: the comment (and, for comments, its status after the change). */
  commentId?: string;
  status?: string;
}

/**
 * `null` says "changes may have been missed" (the listening connection was lost and is back):
 * whoever keeps derived state should drop all of it.
 */
export type ChangeListener = (change: Change | null) => void;

const RECONNECT_MS = 1_000;

/**
 * One LISTEN connection per instance on the direct (session) URL — LISTEN through a
 * transaction pooler hears nothing once the server connection goes back to the pool — fanned out
 * to in-process subscribers. Losing it only costs freshness: caches fall back to their expiry.
 * PGlite is one process, so there is nothing to hear from elsewhere.
 */
@Injectable()
export class ChangeFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChangeFeed');
  private readonly listeners = new Set<ChangeListener>();
  private client: Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  private ready: Promise<void> = Promise.resolve();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the first LISTEN is in place (or failed); tests wait on it. */
  listening(): Promise<void> {
    return this.ready;
  }

  onApplicationBootstrap(): void {
    if (this.config.database.kind === 'postgres') {
      this.ready = this.connect(sessionUrl(this.config.database), false);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.retry) {
      clearTimeout(this.retry);
    }
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }

  private async connect(url: string, resumed: boolean): Promise<void> {
    const client = new Client({
      connectionString: url,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      application_name: 'marginalia-change-feed',
    });
    this.client = client;
    client.on('notification', (message) => this.emit(parse(message.payload)));
    client.on('error', (error) => this.lost(url, client, error));
    client.on('end', () => this.lost(url, client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      if (resumed) {
        this.logger.log('change feed listening again');
        this.emit(null);
      }
    } catch (error) {
      this.lost(url, client, error);
    }
  }

  private emit(change: Change | null): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.logger.error(`change listener failed: ${String(error)}`);
      }
    }
  }

  private lost(url: string, client: Client, error: unknown): void {
    if (this.client !== client) {
      return;
    }
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.stopped) {
      return;
    }
    const why = error instanceof Error ? error.message : 'connection closed';
    this.logger.warn(`change feed lost (${why}); caches expire by time meanwhile`);
    // Whatever happened while deaf is unknown: derived state goes now, and again on reconnect.
    this.emit(null);
    this.retry = setTimeout(() => void this.connect(url, true), RECONNECT_MS);
    this.retry.unref();
  }
}

function parse(payload: string | undefined): Change | null {
  try {
    const change = JSON.parse(payload ?? '') as Change;
    return typeof change.articleId === 'string' ? change : null;
  } catch {
    return null;
  }
}
