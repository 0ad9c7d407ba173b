import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { mailboxKey } from '../common/client-keys';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { Page } from '../common/list.dto';
import {
  EmailCounts,
  EmailResponse,
  EmailStatsResponse,
  toEmailCounts,
  toEmailResponse,
} from './dto/email.dto';
import { canonicalEmail, emailKey, isDeliverableAddress } from './email-address';
import { EmailStatus, MailStream } from './email-outbox.entity';
import { MailTemplateData, MailTemplateName } from './mail-templates';
import { OutboxRepository } from './outbox.repository';
import { SuppressionsRepository } from './suppressions.repository';

export interface EnqueueMail<K extends MailTemplateName> {
  /** One logical email, e.g. `confirm:<subscriptionId>:<n>` or `reply:<commentId>:<recipient>`. */
  key: string;
  stream: MailStream;
  template: K;
  to: string;
  data: MailTemplateData[K];
  /** Gives the mail that subscription's List-Unsubscribe and visible unsubscribe link. */
  subscriptionId?: string;
  notBefore?: Date;
}

/**
 * The outbox as other features see it. `enqueue` is called inside the caller's own transaction,
 * so the mail exists exactly when the change that causes it commits, and once per key.
 */
@Injectable()
export class MailOutbox {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly suppressions: SuppressionsRepository,
  ) {}

  /** Returns whether a new row was written (false: that key was already queued once). */
  async enqueue<K extends MailTemplateName>(
    manager: EntityManager,
    mail: EnqueueMail<K>,
  ): Promise<boolean> {
    const to = canonicalEmail(mail.to);
    if (!isDeliverableAddress(to)) {
      throw new Error('refusing to queue mail to an address that is not a single plain address');
    }
    const inserted = await this.outbox.insertOnce(manager, {
      idempotencyKey: mail.key,
      stream: mail.stream,
      template: mail.template,
      recipient: to,
      payload: mail.data,
      subscriptionId: mail.subscriptionId ?? null,
      notBefore: mail.notBefore ?? null,
    });
    if (inserted) {
      await this.outbox.notifyDispatchers(manager);
    }
    return inserted;
  }

  /**
   * The same mail to many recipients (a newsletter batch), in the caller's transaction; returns
   * how many rows were added. Suppressed addresses and keys queued before are left out.
   */
  async enqueueMany<K extends MailTemplateName>(
    manager: EntityManager,
    mail: { stream: MailStream; template: K; data: MailTemplateData[K] },
    recipients: { key: string; to: string; subscriptionId?: string }[],
  ): Promise<number> {
    // An address that is not a single plain one is left out rather than failing the batch.
    const rows = recipients
      .map((r) => ({
        key: r.key,
        to: canonicalEmail(r.to),
        subscriptionId: r.subscriptionId ?? null,
      }))
      .filter((r) => isDeliverableAddress(r.to));
    const inserted = await this.outbox.insertMany(
      manager,
      { stream: mail.stream, template: mail.template, payload: mail.data },
      rows,
    );
    if (inserted > 0) {
      await this.outbox.notifyDispatchers(manager);
    }
    return inserted;
  }

  /** Mail not yet attempted for a subscription that was withdrawn is not sent. */
  skipUnsentForSubscription(manager: EntityManager, subscriptionId: string): Promise<void> {
    return this.outbox.skipUnsentForSubscription(
      manager,
      subscriptionId,
      'not sent: the subscription was withdrawn',
    );
  }

  /**
   * Replaces the data of a mail that no dispatcher has claimed yet (a digest still collecting);
   * returns false once it was claimed, sent or withdrawn, when the caller must start a new one.
   * The row stays locked until the caller commits, so no dispatcher claims it half-amended.
   */
  amendQueued<K extends MailTemplateName>(
    manager: EntityManager,
    key: string,
    data: MailTemplateData[K],
  ): Promise<boolean> {
    return this.outbox.amendQueued(manager, key, data);
  }

  /** Withdraws mails by key that no send has begun for; returns how many were withdrawn. */
  cancelUnsent(manager: EntityManager, keys: string[], reason: string): Promise<number> {
    return keys.length === 0
      ? Promise.resolve(0)
      : this.outbox.skipUnsentByKeys(manager, keys, reason);
  }

  /**
   * The address asked for no mail from this site at all: suppressed from now on, and what is
   * queued for it is withdrawn. Idempotent.
   */
  async suppressByRequest(manager: EntityManager, email: string): Promise<void> {
    const key = emailKey(email);
    await this.suppressions.suppressIn(manager, key, 'manual', 'the recipient asked for no mail');
    await this.outbox.skipUnsentTo(manager, key, 'not sent: the address asked for no mail');
  }

  countRecent(
    manager: EntityManager,
    email: string,
    template: MailTemplateName,
    since: Date,
  ): Promise<number> {
    return this.outbox.countRecentToMailbox(manager, mailboxKey(email), template, since);
  }

  isSuppressed(email: string, manager?: EntityManager): Promise<boolean> {
    return this.suppressions.isSuppressed(emailKey(email), manager);
  }

  async list(
    limit: number,
    status: EmailStatus | undefined,
    cursor?: string,
  ): Promise<Page<EmailResponse>> {
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid']) : undefined;
    const rows = await this.outbox.findPage(
      limit,
      status,
      after && { createdAt: after[0], id: after[1] },
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((row) => toEmailResponse(row.email)),
      nextCursor:
        rows.length > limit && last ? encodeCursor([last.cursorTime, last.email.id]) : null,
    };
  }

  async stats(): Promise<EmailStatsResponse> {
    const byStatus = toEmailCounts(await this.outbox.countByStatus());
    return { total: Object.values(byStatus).reduce((a, b) => a + b, 0), byStatus };
  }

  async countsForNewsletterIssue(issueId: string): Promise<EmailCounts> {
    return toEmailCounts(await this.outbox.countByStatusForIssue(issueId));
  }

  async retry(id: string): Promise<EmailResponse> {
    const requeued = await this.outbox.requeueFinal(id);
    if (requeued) {
      return toEmailResponse(requeued);
    }
    if (!(await this.outbox.findById(id))) {
      throw new NotFoundException('email not found');
    }
    throw new ConflictException('only dead or ambiguous emails can be retried');
  }
}
