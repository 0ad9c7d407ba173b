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
  async deliver<K extends InstantTemplate>(
    manager: EntityManager,
    notification: Notification<K>,
  ): Promise<void> {
    const { audience, recipient } = notification;
    await this.repository.lockRecipient(manager, audience, recipient.key);
    // Readers get one mail per comment ever; moderators one per hold of it.
    const previous = await this.repository.countLedgerRows(
      manager,
      audience,
      notification.commentId,
      recipient.key,
    );
    if (audience === 'reader' && previous > 0) {
      return;
    }
    const occasion = audience === 'reader' ? 0 : previous;
    const row = {
      commentId: notification.commentId,
      articleId: notification.articleId,
      audience,
      occasion,
      recipientKey: recipient.key,
      subscriptionId: notification.subscriptionId,
      reasons: notification.reasons,
    };
    const recent = await this.repository.countInstantWithin(
      manager,
      audience,
      recipient.key,
      this.config.notifications.digestWindowMs,
    );
    if (recent < this.config.notifications.digestThreshold) {
      const key = this.instantKey(notification, occasion);
      await this.repository.insertLedgerRow(manager, {
        ...row,
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
      return;
    }
    const scope = audience === 'reader' ? notification.articleId : null;
    const open = await this.repository.findOpenDigest(manager, audience, recipient.key, scope);
    const digest = open ?? (await this.openDigest(manager, notification, scope));
    const ledgerId = await this.repository.insertLedgerRow(manager, {
      ...row,
      delivery: 'digest',
      outboxKey: null,
      digestId: digest.id,
    });
    if (!ledgerId) {
      return;
    }
    if (!open) {
      await this.queueDigest(manager, notification, digest);
      return;
    }
    if (!(await this.amendDigest(manager, audience, digest))) {
      // A dispatcher took the digest meanwhile: it goes out as it was; start the next one.
      await this.repository.closeDigest(manager, digest.id);
      const next = await this.openDigest(manager, notification, scope);
      await this.repository.moveToDigest(manager, ledgerId, next.id);
      await this.queueDigest(manager, notification, next);
    }
  }

  /**
   * Takes back a comment's notifications for one audience (the comment was withdrawn, or is no
   * longer waiting for review): single mails not yet begun are skipped, and the comment leaves
   * any digest still collecting (an emptied digest is skipped). Mail already sent stays sent.
   */
  async withdraw(
    manager: EntityManager,
    audience: NotificationAudience,
    commentId: string,
    reason: string,
  ): Promise<void> {
    const found = await this.repository.findLiveForComment(manager, audience, commentId);
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
