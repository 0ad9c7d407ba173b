import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { Client } from 'pg';
import { getPGliteInstance } from 'typeorm-pglite';
import { APP_CONFIG, AppConfig, sessionUrl } from '../config/app-config';

/**
 * What a subscriber hears: a notification's payload, or `null` when notifications may have been
 * missed (LISTEN has just been established, or the connection was lost): whoever keeps derived
 * state drops it, whoever waits for work looks for it.
 */
export type NotificationHandler = (payload: string | null) => void;

/** How the listening connection shows in pg_stat_activity: one such backend per instance. */
export const LISTENER_APPLICATION_NAME = 'marginalia-listener';

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 15_000;

interface Connection {
  client: Client;
  url: string;
  /** Connected, so LISTEN can be sent on it. */
  up: boolean;
}

/**
 * The instance's one LISTEN connection, carrying every channel a feature subscribes to (the
 * change feed, the mail outbox, webhooks). A client of its own on the direct (session) URL,
 * never one from the pool, which would be handed back with the subscription still on it; and
 * LISTEN through a transaction pooler hears nothing once the server connection goes back to the
 * pool. Losing it costs freshness only: subscribers hear `null` when it goes and again when it is
 * back, so caches drop what they hold and dispatchers look for what they may not have heard of.
 *
 * PGlite is one process: its single connection hears this process's NOTIFYs through PGlite's own
 * listen(), and nothing else can write to its data directory.
 */
@Injectable()
export class PgNotifications implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PgNotifications');
  private readonly handlers = new Map<string, Set<NotificationHandler>>();
  /** Channels LISTENed on the current connection (or on PGlite). */
  private readonly listened = new Set<string>();
  private connection: Connection | null = null;
  private readonly unlisteners: (() => Promise<void>)[] = [];
  private started = false;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;
  private ready: Promise<void> = Promise.resolve();
  /** Where to LISTEN; null on PGlite. */
  private readonly url: string | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.url = config.database.kind === 'postgres' ? sessionUrl(config.database) : null;
  }

  /** Hears `channel` from now on; a channel new to a running listener is LISTENed at once. */
  subscribe(channel: string, handler: NotificationHandler): () => void {
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      if (this.started && !this.stopped) {
        this.ready = this.ready.then(() => this.listenOnCurrent());
      }
    }
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  /** Resolves once every channel subscribed so far is LISTENed (or that failed); tests wait on it. */
  listening(): Promise<void> {
    return this.ready;
  }

  onApplicationBootstrap(): void {
    this.started = true;
    this.ready = this.url === null ? this.listenOnCurrent() : this.connect(this.url);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.retry) {
      clearTimeout(this.retry);
    }
    const connection = this.connection;
    this.connection = null;
    if (connection) {
      connection.client.removeAllListeners('end');
      await connection.client.end().catch(() => undefined);
    }
    // Before the data source closes PGlite (application shutdown comes after module destroy).
    await Promise.all(this.unlisteners.map((unlisten) => unlisten().catch(() => undefined)));
  }

  private async connect(url: string): Promise<void> {
    const client = new Client({
      connectionString: url,
      connectionTimeoutMillis: 5_000,
      // The connection is silent while nothing happens: TCP keepalives keep a NAT or firewall
      // from forgetting it, and find a peer that vanished, long before the system's two hours.
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
      application_name: LISTENER_APPLICATION_NAME,
    });
    const connection: Connection = { client, url, up: false };
    this.connection = connection;
    this.listened.clear();
    client.on('notification', (message) => this.deliver(message.channel, message.payload ?? ''));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    try {
      await client.connect();
      connection.up = true;
      await this.listenOn(client);
      if (this.failures > 0) {
        this.logger.log('listening again');
      }
      this.failures = 0;
    } catch (error) {
      this.lost(client, error);
    }
  }

  /** LISTENs the channels subscribed since the connection was made, if there is one. */
  private async listenOnCurrent(): Promise<void> {
    if (this.url === null) {
      await this.listenEmbedded().catch((error: unknown) =>
        this.logger.warn(`could not listen on PGlite: ${String(error)}`),
      );
      return;
    }
    const connection = this.connection;
    if (!connection?.up) {
      // Being (re)connected: connect() LISTENs every channel once it is up.
      return;
    }
    await this.listenOn(connection.client).catch((error: unknown) =>
      this.lost(connection.client, error),
    );
  }

  /**
   * One statement for every channel not yet LISTENed on `client`; each then hears `null`, since
   * whatever was announced before it was listening went unheard.
   */
  private async listenOn(client: Client): Promise<void> {
    const fresh = [...this.handlers.keys()].filter((channel) => !this.listened.has(channel));
    if (fresh.length === 0 || this.stopped) {
      return;
    }
    await client.query(
      fresh.map((channel) => `LISTEN ${client.escapeIdentifier(channel)}`).join('; '),
    );
    if (this.connection?.client !== client) {
      return;
    }
    for (const channel of fresh) {
      this.listened.add(channel);
      this.deliver(channel, null);
    }
  }

  private async listenEmbedded(): Promise<void> {
    const fresh = [...this.handlers.keys()].filter((channel) => !this.listened.has(channel));
    if (fresh.length === 0 || this.stopped) {
      return;
    }
    const pg = await getPGliteInstance();
    for (const channel of fresh) {
      this.listened.add(channel);
      const unlisten = await pg.listen(channel, (payload) => this.deliver(channel, payload));
      this.unlisteners.push(() => unlisten());
      this.deliver(channel, null);
    }
  }

  private deliver(channel: string, payload: string | null): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(payload);
      } catch (error) {
        this.logger.error(`a ${channel} subscriber failed: ${String(error)}`);
      }
    }
  }

  private lost(client: Client, error: unknown): void {
    const connection = this.connection;
    if (connection?.client !== client) {
      return;
    }
    const url = connection.url;
    this.connection = null;
    this.listened.clear();
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.stopped) {
      return;
    }
    const delay = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures);
    this.failures += 1;
    const why = error instanceof Error ? error.message : 'connection closed';
    this.logger.warn(
      `LISTEN connection lost (${why}); trying again in ${delay} ms, caches expire by time ` +
        'and dispatchers fall back to their safety poll meanwhile',
    );
    if (connection.up) {
      // Whatever happened while deaf is unknown: derived state goes now, and again on reconnect.
      for (const channel of this.handlers.keys()) {
        this.deliver(channel, null);
      }
    }
    this.retry = setTimeout(() => {
      this.ready = this.connect(url);
    }, delay);
    this.retry.unref();
  }
}
