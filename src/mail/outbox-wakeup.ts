import { Logger } from '@nestjs/common';
import { Client } from 'pg';

const RECONNECT_MS = 2_000;
/** The channel the email_outbox trigger NOTIFYs when mail is queued. */
const CHANNEL = 'email_outbox';

/**
 * LISTEN on a connection of its own (never one from the pool, which would be handed back with
 * the subscription still on it). Losing it only costs latency: the dispatcher still polls.
 */
export class OutboxWakeup {
  private readonly logger = new Logger('OutboxWakeup');
  private client: Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly databaseUrl: string,
    private readonly onWake: () => void,
  ) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      application_name: 'marginalia-email-outbox-listener',
    });
    this.client = client;
    client.on('notification', () => this.onWake());
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      // Anything queued while we were not listening.
      this.onWake();
    } catch (error) {
      this.lost(client, error);
    }
  }

  private lost(client: Client, error: unknown): void {
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
    this.logger.warn(`${CHANNEL} listener lost (${why}); polling meanwhile`);
    this.retry = setTimeout(() => void this.connect(), RECONNECT_MS);
    this.retry.unref();
  }

  async stop(): Promise<void> {
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
}
