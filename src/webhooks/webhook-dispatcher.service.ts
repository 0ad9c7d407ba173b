import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { failureBackoffMs, idleSleepMs, WakeUps } from '../common/wake-ups';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PgNotifications } from '../database/pg-notifications';
import { retryDelayMs } from '../mail/delivery-errors';
import { MailOutbox } from '../mail/mail-outbox.service';
import { ReceiverGuard } from './receiver-guard';
import { signWebhook } from './signature';
import { sendWebhook } from './webhook-sender';
import {
  ClaimedDelivery,
  EndpointRow,
  WEBHOOKS_CHANNEL,
  WebhooksRepository,
} from './webhooks.repository';

const BATCH = 20;

/**
 * Delivers what the webhook outbox holds, in every instance unless WEBHOOK_DISPATCHER=off:
 * claims due rows (FOR UPDATE SKIP LOCKED, with a lease), POSTs them signed, records the outcome.
 * A failure is retried with exponential backoff and jitter, dead after WEBHOOK_MAX_ATTEMPTS; an
 * endpoint failing WEBHOOK_DISABLE_AFTER times in a row is disabled and the moderators mailed.
 *
 * Idle, it asks the database nothing: it sleeps until a NOTIFY says a delivery was queued, until its
 * next retry falls due, until its next look for rows of dead dispatchers (half a lease), or at the
 * latest until the safety poll (WEBHOOK_POLL_MS), which bounds the delay of a notification lost
 * while the LISTEN connection was down.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDispatcher');
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly guard: ReceiverGuard;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private readonly wakeUps = new WakeUps();
  private unsubscribe: (() => void) | null = null;
  private lastReclaim = 0;
  /** Rows of dead dispatchers (leases run out) are looked for this often, idle or not. */
  private readonly reclaimEveryMs: number;

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly mail: MailOutbox,
    private readonly notifications: PgNotifications,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.guard = new ReceiverGuard(config.webhooks.allowedNetworks);
    this.reclaimEveryMs = config.webhooks.leaseMs / 2;
  }

  onApplicationBootstrap(): void {
    if (!this.config.webhooks.dispatcher) {
      return;
    }
    // A payload or a `null` (anything queued while the listener was deaf): look either way.
    this.unsubscribe = this.notifications.subscribe(WEBHOOKS_CHANNEL, () => this.wakeUps.wake());
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.wakeUps.stop();
    this.unsubscribe?.();
    await this.loop;
    if (this.loop) {
      await this.repository
        .releaseClaims(this.owner)
        .catch((error: unknown) => this.logger.warn(`could not release claims: ${String(error)}`));
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const seen = this.wakeUps.seen;
      try {
        if (Date.now() - this.lastReclaim >= this.reclaimEveryMs) {
          this.lastReclaim = Date.now();
          await this.repository.reclaimExpired();
        }
        const batch = await this.repository.claimDue(
          this.owner,
          BATCH,
          this.config.webhooks.leaseMs,
        );
        failures = 0;
        if (batch.length === 0) {
          const untilDue = await this.repository.msUntilNextDue();
          const untilReclaim = this.lastReclaim + this.reclaimEveryMs - Date.now();
          await this.wakeUps.sleep(
            idleSleepMs(untilDue, Math.min(this.config.webhooks.pollMs, untilReclaim)),
            seen,
          );
          continue;
        }
        await Promise.all(batch.map((d) => this.deliver(d)));
      } catch (error) {
        failures += 1;
        this.logger.warn(`webhook cycle failed: ${String(error)}`);
        await this.wakeUps.sleep(
          failureBackoffMs(failures, this.config.webhooks.pollMs),
          this.wakeUps.seen,
        );
      }
    }
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const outcome = await sendWebhook(
      delivery.url,
      body,
      {
        'Content-Type': 'application/json',
        'User-Agent': 'Marginalia-Webhooks/1',
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(delivery.secret, delivery.eventId, timestamp, body),
      },
      this.guard,
      this.config.webhooks.timeoutMs,
    );
    if (outcome.ok) {
      await this.repository.markDelivered(
        delivery.id,
        this.owner,
        outcome.statusCode!,
        delivery.endpointId,
      );
      return;
    }
    const attempts = delivery.attempts + 1;
    const disabled = await this.repository.markFailed(
      delivery,
      this.owner,
      {
        error: outcome.error ?? 'failed',
        statusCode: outcome.statusCode,
        delayMs: retryDelayMs(attempts, this.config.webhooks.retryBaseMs),
        dead: attempts >= this.config.webhooks.maxAttempts,
      },
      this.config.webhooks.disableAfter,
      (manager, endpoint) => this.tellAdmins(manager, endpoint),
    );
    if (disabled) {
      this.logger.warn(`webhook endpoint ${disabled.id} disabled: ${disabled.disabled_reason}`);
    }
  }

  /** The endpoint was disabled: mailed to the moderator addresses once, in the disabling transaction. */
  private async tellAdmins(manager: EntityManager, endpoint: EndpointRow): Promise<void> {
    const recipients = await this.repository.moderatorEmails();
    const at = endpoint.disabled_at?.toISOString() ?? new Date().toISOString();
    for (const to of recipients) {
      await this.mail.enqueue(manager, {
        key: `webhook-disabled:${endpoint.id}:${at}:${to.toLowerCase()}`,
        stream: 'transactional',
        template: 'webhook-disabled',
        to,
        data: {
          url: endpoint.url,
          reason: endpoint.disabled_reason ?? 'repeated failures',
          adminUrl: `${this.config.publicUrl}/api/admin/webhooks/${endpoint.id}`,
        },
      });
    }
  }
}
