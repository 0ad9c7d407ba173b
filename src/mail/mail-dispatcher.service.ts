import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { failureBackoffMs, idleSleepMs, WakeUps } from '../common/wake-ups';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PgNotifications } from '../database/pg-notifications';
import {
  classifyDeliveryError,
  resendWhenUncertain,
  retryDelayMs,
  SendDeadlineError,
} from './delivery-errors';
import { emailKey, senderDomain } from './email-address';
import { mailHeaders, messageIdFor } from './mail-headers';
import { MailBouncedEvent } from './mail.events';
import { MailRenderer } from './mail-renderer.service';
import { MAIL_TRANSPORT, MailTransport } from './mail-transport';
import { ClaimedEmail, MAIL_CHANNEL, OutboxRepository } from './outbox.repository';
import { Permits } from './permits';
import { SuppressionsRepository } from './suppressions.repository';
import { UnsubscribeLinks } from './unsubscribe-links';

/**
 * Sends what the outbox holds. Each cycle: hand back rows of dead dispatchers, lease a batch of
 * due rows, then send it in waves of `concurrency`: a wave is marked `sending` (one statement),
 * sent, and its successes recorded (one statement). Only a crash inside a wave's sends leaves a
 * row whose fate is unknown. Runs in every instance unless MAIL_DISPATCHER=off.
 *
 * Idle, it asks the database nothing: it sleeps until a NOTIFY says mail was queued, until its next
 * row falls due (a retry, a digest), until its next look for rows of dead dispatchers (half a
 * lease, at most 30 s), or at the latest until the safety poll (MAIL_POLL_MS), which bounds the
 * delay of a notification lost while the LISTEN connection was down.
 */
@Injectable()
export class MailDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MailDispatcher');
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly domain: string;
  private stopping = false;
  private loops: Promise<void>[] = [];
  /** Cut short by new rows committed (NOTIFY) and by shutdown. */
  private readonly wakeUps = new WakeUps();
  private unsubscribe: (() => void) | null = null;
  private lastReclaim = 0;
  /** Rows of dead dispatchers (leases run out) are looked for this often, idle or not. */
  private readonly reclaimEveryMs: number;
  /**
   * One per SMTP connection, so nodemailer never queues a message: a send's deadline starts
   * when it really starts, and one that times out is uncertain, not merely late.
   */
  private readonly permits: Permits;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly suppressions: SuppressionsRepository,
    private readonly renderer: MailRenderer,
    private readonly links: UnsubscribeLinks,
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
    private readonly events: EventEmitter2,
    private readonly notifications: PgNotifications,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.domain = senderDomain(config.mailFrom);
    this.permits = new Permits(config.mail.smtpConnections);
    this.reclaimEveryMs = Math.min(30_000, config.mail.leaseMs / 2);
  }

  onApplicationBootstrap(): void {
    if (!this.config.mailDispatcher) {
      this.logger.log('MAIL_DISPATCHER=off: this instance sends no mail');
      return;
    }
    // A payload or a `null` (anything queued while the listener was deaf): look either way.
    this.unsubscribe = this.notifications.subscribe(MAIL_CHANNEL, () => this.wakeUps.wake());
    this.logger.log(`dispatching via ${this.transport.description}`);
    // PGlite has one connection: a second lane would only queue behind the first.
    const lanes = this.config.database.kind === 'postgres' ? this.config.mail.lanes : 1;
    this.loops = Array.from({ length: lanes }, () => this.run());
  }

  /** Stops claiming, lets the current waves finish (sends are bounded), hands back the rest. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.wakeUps.stop();
    this.unsubscribe?.();
    await Promise.all(this.loops);
    if (this.loops.length) {
      await this.outbox
        .releaseClaims(this.owner)
        .catch((error: unknown) => this.logger.warn(`could not release claims: ${String(error)}`));
    }
    this.transport.close();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const seen = this.wakeUps.seen;
      try {
        await this.reclaimIfDue();
        const batch = await this.outbox.claimDue(
          this.owner,
          this.config.mail.batchSize,
          this.config.mail.leaseMs,
        );
        failures = 0;
        if (batch.length === 0) {
          const untilDue = await this.outbox.msUntilNextDue();
          const untilReclaim = this.lastReclaim + this.reclaimEveryMs - Date.now();
          await this.wakeUps.sleep(
            idleSleepMs(untilDue, Math.min(this.config.mail.pollMs, untilReclaim)),
            seen,
          );
          continue;
        }
        await this.deliverBatch(batch);
      } catch (error) {
        // Typically the database is unreachable: back off, never spin.
        failures += 1;
        this.logger.warn(`dispatch cycle failed: ${String(error)}`);
        await this.wakeUps.sleep(
          failureBackoffMs(failures, this.config.mail.pollMs),
          this.wakeUps.seen,
        );
      }
    }
  }

  private async reclaimIfDue(): Promise<void> {
    if (Date.now() - this.lastReclaim < this.reclaimEveryMs) {
      return;
    }
    this.lastReclaim = Date.now();
    const { requeued, ambiguous } = await this.outbox.reclaimExpiredLeases();
    if (requeued || ambiguous) {
      this.logger.warn(`expired leases: ${requeued} mails queued again, ${ambiguous} ambiguous`);
    }
  }

  private async deliverBatch(batch: ClaimedEmail[]): Promise<void> {
    const { concurrency, leaseMs } = this.config.mail;
    for (let i = 0; i < batch.length; i += concurrency) {
      if (this.stopping) {
        return;
      }
      const wave = batch.slice(i, i + concurrency);
      const mine = await this.outbox.beginAttempts(
        wave.map((row) => row.id),
        this.owner,
        leaseMs,
      );
      const results = await Promise.all(
        wave.filter((row) => mine.has(row.id)).map((row) => this.deliverOne(row)),
      );
      const sent = results.filter((r): r is { id: string; messageId: string } => r !== null);
      const recorded = await this.outbox.markSent(sent, this.owner);
      if (recorded < sent.length) {
        this.logger.warn(`${sent.length - recorded} sent mails were no longer leased to us`);
      }
    }
  }

  /** Sends one row; returns it when accepted, records any failure itself. */
  private async deliverOne(row: ClaimedEmail): Promise<{ id: string; messageId: string } | null> {
    const messageId = messageIdFor(row.id, this.domain);
    try {
      const unsubscribeUrl = row.subscriptionId
        ? this.links.urlFor(await this.links.tokenFor(row.subscriptionId))
        : null;
      const rendered = this.renderer.renderStored(row.template, row.payload, unsubscribeUrl);
      const release = await this.permits.acquire();
      try {
        await this.withDeadline((signal) =>
          this.transport.send(
            {
              from: this.config.mailFrom,
              to: row.recipient,
              subject: rendered.subject,
              html: rendered.html,
              text: rendered.text,
              messageId,
              headers: mailHeaders({
                stream: row.stream,
                domain: this.domain,
                unsubscribeUrl,
                thread: rendered.thread,
              }),
              outboxId: row.id,
            },
            signal,
          ),
        );
      } finally {
        release();
      }
      return { id: row.id, messageId };
    } catch (error) {
      await this.recordFailure(row, error).catch((e: unknown) =>
        this.logger.error(`could not record the failure of mail ${row.id}: ${String(e)}`),
      );
      return null;
    }
  }

  /**
   * The deadline aborts the send (nodemailer then closes only that connection). Should the
   * transport not honour the abort, a second timer a little later gives up on it and resets the
   * whole pool, so a stuck connection never holds the row past its lease.
   */
  private async withDeadline(send: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const ms = this.config.mail.sendTimeoutMs;
    const controller = new AbortController();
    const abort = setTimeout(() => controller.abort(new SendDeadlineError(ms)), ms);
    let guard: NodeJS.Timeout | undefined;
    const attempt = send(controller.signal);
    const stuck = new Promise<never>((_, reject) => {
      guard = setTimeout(() => reject(new SendDeadlineError(ms)), ms + 1_000);
    });
    try {
      await Promise.race([attempt, stuck]);
    } catch (error) {
      if (error instanceof SendDeadlineError) {
        attempt.catch(() => undefined);
        this.transport.reset();
      }
      throw error;
    } finally {
      clearTimeout(abort);
      clearTimeout(guard);
    }
  }

  private async recordFailure(row: ClaimedEmail, error: unknown): Promise<void> {
    const outcome = classifyDeliveryError(error);
    const attempts = row.attempts + 1;
    if (outcome.kind === 'permanent') {
      if (outcome.recipientRejected) {
        const key = emailKey(row.recipient);
        await this.suppressions.suppress(key, 'hard_bounce', outcome.reason);
        await this.events.emitAsync(
          MailBouncedEvent.type,
          new MailBouncedEvent(key, outcome.reason),
        );
      }
      this.logger.warn(`mail ${row.id} rejected permanently: ${outcome.reason}`);
      await this.outbox.markFinalFailure(row.id, this.owner, 'dead', outcome.reason);
      return;
    }
    if (outcome.kind === 'uncertain' && !resendWhenUncertain(row.stream)) {
      this.logger.warn(`mail ${row.id} may or may not have been delivered: ${outcome.reason}`);
      await this.outbox.markFinalFailure(row.id, this.owner, 'ambiguous', outcome.reason);
      return;
    }
    if (attempts >= this.config.mail.maxAttempts) {
      await this.outbox.markFinalFailure(
        row.id,
        this.owner,
        'dead',
        `gave up after ${attempts} attempts: ${outcome.reason}`,
      );
      return;
    }
    await this.outbox.markForRetry(
      row.id,
      this.owner,
      outcome.reason,
      retryDelayMs(attempts, this.config.mail.retryBaseMs),
    );
  }
}
