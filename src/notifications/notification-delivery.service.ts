import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MailStream } from '../mail/email-outbox.entity';
import { MailOutbox } from '../mail/mail-outbox.service';
import { MailTemplateData } from '../mail/mail-templates';
import { NotificationAudience, NotificationReason } from './comment-notification.entity';
import { moderatorDigestData, readerDigestData } from './notification-mails';
import { NotificationsRepository } from './notifications.repository';

type InstantTemplate = 'comment-notification' | 'moderation-alert';

/** One notification for one recipient, as the fan-out decided it. */
export interface Notification<K extends InstantTemplate> {
  audience: NotificationAudience;
  commentId: string;
  articleId: string;
  recipient: { email: string; key: string; hash: string };
  subscriptionId: string | null;
  reasons: NotificationReason[];
  /** The mail it becomes when it goes out on its own. */
  template: K;
  data: MailTemplateData[K];
}

const STREAM: Record<NotificationAudience, MailStream> = {
  reader: 'notification',
  // Staff mail: retried after an uncertain send rather than lost, and no List-Unsubscribe.
  moderator: 'transactional',
};

/**
 * Floods become digests. Under a per-recipient lock, a notification goes out on its own while
 * the recipient has had fewer than NOTIFY_DIGEST_THRESHOLD single mails within the window;
 * beyond that it joins the recipient's open digest: one outbox row, due a window later, whose
 * data is rebuilt from the ledger each time a notification joins or leaves it. A digest is
 * amended only while its row is still queued (the amendment locks it against claiming); once a
 * dispatcher has claimed it, it is closed and the next notification opens a new one. So each
 * folded comment is listed in exactly one digest mail, on any number of instances.
 */
@Injectable()
export class NotificationDelivery {
  constructor(
    private readonly repository: NotificationsRepository,
    private readonly outbox: MailOutbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Records and queues one notification in the caller's transaction; a repeat (same comment,
   * recipient and occasion) does nothing. Call for recipients in sorted key order (locks).
   */
  deliver<K extends InstantTemplate>(
    manager: EntityManager,
    notification: Notification<K>,
  ): Promise<void> {
    return this.deliverMany(manager, [notification]);
  }

  /**
   * Several notifications for ONE recipient and audience (a bulk decision), in a number of
   * statements that grows linearly with them: the recipient is locked once, the flood is counted
   * once, and the digest they fold into is rebuilt once.
   */
  async deliverMany<K extends InstantTemplate>(
    manager: EntityManager,
    notifications: Notification<K>[],
  ): Promise<void> {
    if (notifications.length === 0) {
      return;
    }
    const { audience, recipient } = notifications[0];
    await this.repository.lockRecipient(manager, audience, recipient.key);
    // Readers get one mail per comment ever; moderators one per hold of it.
    const previous = await this.repository.countLedgerRowsMany(
      manager,
      audience,
      notifications.map((n) => n.commentId),
      recipient.key,
    );
    const due = notifications
      .map((notification) => ({
        notification,
        occasion: audience === 'reader' ? 0 : (previous.get(notification.commentId) ?? 0),
      }))
      .filter(({ notification }) => audience !== 'reader' || !previous.get(notification.commentId));
    if (due.length === 0) {
      return;
    }
    const row = (notification: Notification<K>, occasion: number) => ({
      commentId: notification.commentId,
      articleId: notification.articleId,
      audience,
      occasion,
      recipientKey: recipient.key,
      subscriptionId: notification.subscriptionId,
      reasons: notification.reasons,
    });
    const recent = await this.repository.countInstantWithin(
      manager,
      audience,
      recipient.key,
      this.config.notifications.digestWindowMs,
    );
    const instant = due.slice(0, Math.max(0, this.config.notifications.digestThreshold - recent));
    for (const { notification, occasion } of instant) {
      const key = this.instantKey(notification, occasion);
      await this.repository.insertLedgerRow(manager, {
        ...row(notification, occasion),
        delivery: 'instant',
        outboxKey: key,
        digestId: null,
      });
      await this.outbox.enqueue(manager, {
        key,
        stream: STREAM[audience],
        template: notification.template,
        to: recipient.email,
        data: notification.data,
        subscriptionId: notification.subscriptionId ?? undefined,
      });
    }
    const folded = due.slice(instant.length);
    if (folded.length === 0) {
      return;
    }
    const first = folded[0].notification;
    const scope = audience === 'reader' ? first.articleId : null;
    const open = await this.repository.findOpenDigest(manager, audience, recipient.key, scope);
    const digest = open ?? (await this.openDigest(manager, first, scope));
    const ledgerIds = await this.repository.insertLedgerRows(
      manager,
      folded.map(({ notification, occasion }) => ({
        ...row(notification, occasion),
        delivery: 'digest' as const,
        outboxKey: null,
        digestId: digest.id,
      })),
    );
    if (ledgerIds.length === 0) {
      return;
    }
    if (!open) {
      await this.queueDigest(manager, first, digest);
      return;
    }
    if (!(await this.amendDigest(manager, audience, digest))) {
      // A dispatcher took the digest meanwhile: it goes out as it was; start the next one.
      await this.repository.closeDigest(manager, digest.id);
      const next = await this.openDigest(manager, first, scope);
      await this.repository.moveToDigest(manager, ledgerIds, next.id);
      await this.queueDigest(manager, first, next);
    }
  }

  /**
   * Takes back a comment's notifications for one audience (the comment was withdrawn, or is no
   * longer waiting for review): single mails not yet begun are skipped, and the comment leaves
   * any digest still collecting (an emptied digest is skipped). Mail already sent stays sent.
   */
  withdraw(
    manager: EntityManager,
    audience: NotificationAudience,
    commentId: string,
    reason: string,
  ): Promise<void> {
    return this.withdrawMany(manager, audience, [commentId], reason);
  }

  /** `withdraw` for many comments at once, set-based (a bulk decision). */
  async withdrawMany(
    manager: EntityManager,
    audience: NotificationAudience,
    commentIds: string[],
    reason: string,
  ): Promise<void> {
    const found = await this.repository.findLiveForComments(manager, audience, commentIds);
    if (found.length === 0) {
      return;
    }
    for (const key of [...new Set(found.map((r) => r.recipientKey))].sort()) {
      await this.repository.lockRecipient(manager, audience, key);
    }
    await this.outbox.cancelUnsent(
      manager,
      found.flatMap((r) => (r.outboxKey ? [r.outboxKey] : [])),
      reason,
    );
    await this.repository.markCancelled(
      manager,
      found.map((r) => r.id),
    );
    for (const digestId of new Set(found.flatMap((r) => (r.digestId ? [r.digestId] : [])))) {
      const digest = await this.repository.findDigest(manager, digestId);
      if (!digest?.open) {
        continue;
      }
      if (!(await this.amendDigest(manager, audience, digest))) {
        await this.repository.closeDigest(manager, digest.id);
      }
    }
  }

  private instantKey(notification: Notification<InstantTemplate>, occasion: number): string {
    const { commentId, recipient } = notification;
    return notification.audience === 'reader'
      ? `notify:${commentId}:${recipient.hash}`
      : `moderate:${commentId}:${recipient.hash}:${occasion}`;
  }

  private async openDigest(
    manager: EntityManager,
    notification: Notification<InstantTemplate>,
    scope: string | null,
  ): Promise<{ id: string; outboxKey: string }> {
    const id = randomUUID();
    const prefix = notification.audience === 'reader' ? 'notify-digest' : 'moderate-digest';
    const digest = { id, outboxKey: `${prefix}:${notification.recipient.hash}:${id}` };
    await this.repository.insertDigest(manager, {
      ...digest,
      audience: notification.audience,
      key: notification.recipient.key,
      articleId: scope,
    });
    return digest;
  }

  private async queueDigest(
    manager: EntityManager,
    notification: Notification<InstantTemplate>,
    digest: { id: string; outboxKey: string },
  ): Promise<void> {
    const notBefore = new Date(Date.now() + this.config.notifications.digestWindowMs);
    const common = {
      key: digest.outboxKey,
      stream: STREAM[notification.audience],
      to: notification.recipient.email,
      notBefore,
    };
    const comments = await this.repository.findDigestComments(manager, digest.id);
    if (notification.audience === 'reader') {
      await this.outbox.enqueue(manager, {
        ...common,
        template: 'comment-digest',
        data: readerDigestData(comments, this.config.publicUrl),
        subscriptionId: notification.subscriptionId ?? undefined,
      });
    } else {
      await this.outbox.enqueue(manager, {
        ...common,
        template: 'moderation-digest',
        data: moderatorDigestData(comments, this.config.publicUrl),
      });
    }
  }

  /**
   * Rebuilds a digest's mail from the ledger. Returns false when its row can no longer be
   * changed (claimed, sent, or withdrawn). A digest left with nothing to list is withdrawn.
   */
  private async amendDigest(
    manager: EntityManager,
    audience: NotificationAudience,
    digest: { id: string; outboxKey: string },
  ): Promise<boolean> {
    const comments = await this.repository.findDigestComments(manager, digest.id);
    if (comments.length === 0) {
      await this.outbox.cancelUnsent(
        manager,
        [digest.outboxKey],
        'not sent: every comment it listed was withdrawn',
      );
      return false;
    }
    return audience === 'reader'
      ? this.outbox.amendQueued<'comment-digest'>(
          manager,
          digest.outboxKey,
          readerDigestData(comments, this.config.publicUrl),
        )
      : this.outbox.amendQueued<'moderation-digest'>(
          manager,
          digest.outboxKey,
          moderatorDigestData(comments, this.config.publicUrl),
        );
  }
}
