import { createHmac, randomBytes } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/**
 * Unsubscribe tokens are derived, not stored: HMAC-SHA256(key, subscription id), 256 bits. The
 * subscription keeps only the token's SHA-256 for lookup, and every later mail recomputes the
 * token, so no usable link sits in the database. The key is TOKEN_SECRET, or else one generated
 * at first start and shared by every instance through the database.
 */
@Injectable()
export class UnsubscribeLinks implements OnApplicationBootstrap {
  private key: Promise<Buffer> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Loaded before any request: PGlite has one connection, and a transaction must never wait
    // on a second query for the key.
    await this.loadKey();
  }

  async tokenFor(subscriptionId: string): Promise<string> {
    const key = await this.loadKey();
    return createHmac('sha256', key).update(`unsubscribe:${subscriptionId}`).digest('base64url');
  }

  urlFor(token: string): string {
    return `${this.config.publicUrl}/unsubscribe?token=${encodeURIComponent(token)}`;
  }

  private loadKey(): Promise<Buffer> {
    this.key ??= this.readOrCreateKey().catch((error: unknown) => {
      this.key = null;
      throw error;
    });
    return this.key;
  }

  private async readOrCreateKey(): Promise<Buffer> {
    if (this.config.mail.tokenSecret) {
      return Buffer.from(this.config.mail.tokenSecret, 'utf8');
    }
    await this.dataSource.query(
      `INSERT INTO token_secrets (purpose, secret) VALUES ('unsubscribe', $1)
       ON CONFLICT (purpose) DO NOTHING`,
      [randomBytes(32).toString('base64url')],
    );
    const rows: { secret: string }[] = await this.dataSource.query(
      "SELECT secret FROM token_secrets WHERE purpose = 'unsubscribe'",
    );
    return Buffer.from(rows[0].secret, 'utf8');
  }
}
