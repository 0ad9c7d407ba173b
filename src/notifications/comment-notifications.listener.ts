import { Injectable, OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { CommentArrivals } from '../comments/comment-arrivals';
import { CommentsStatusChangedInTx, CommentStatusChangedInTx } from '../comments/comment.events';
import { isDeliverableAddress } from '../mail/email-address';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { ModeratorAlerts } from './moderator-alerts.service';
import { ReaderNotifications } from './reader-notifications.service';

/** The consent wording a commenter saw: the form's "Notify of" choice. */
export const COMMENT_NOTIFY_CONSENT_VERSION = 'comment-form-notify-2026-11';

/**
 * Hears every comment arrival and status change inside the transaction that makes it, so the
 * subscription request, the notifications and the alerts it causes commit with it or not at all
 * (a crash after the commit loses nothing: the outbox holds the mail).
 */
@Injectable()
export class CommentNotificationsListener implements OnModuleInit {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly readers: ReaderNotifications,
    private readonly moderators: ModeratorAlerts,
    private readonly arrivals: CommentArrivals,
  ) {}

  /** What an arrival asks of this listener (see onCommentStatus), told to the posting path. */
  onModuleInit(): void {
    this.arrivals.register({
      name: 'subscription request',
      wants: (comment) => comment.notify !== 'none' && comment.status !== 'spam',
    });
    this.arrivals.register({
      name: 'reader notifications',
      probe: `EXISTS (SELECT 1 FROM subscriptions s WHERE s.article_id = article.id
                AND s.kind IN ('followups', 'replies') AND s.status = 'confirmed')`,
      wants: (comment, subscribers) => comment.status === 'approved' && subscribers,
    });
    this.arrivals.register({
      name: 'moderator alerts',
      probe: `COALESCE((SELECT CASE jsonb_typeof(settings -> 'moderatorEmails')
                WHEN 'array' THEN jsonb_array_length(settings -> 'moderatorEmails') > 0
                ELSE false END FROM moderation_settings WHERE id = 1), false)`,
      wants: (comment, moderators) => comment.status === 'pending' && moderators,
    });
  }

  @OnEvent(CommentStatusChangedInTx.event, { suppressErrors: false })
  async onCommentStatus(event: CommentStatusChangedInTx): Promise<void> {
    const { comment, previousStatus: before, manager } = event;
    const now = comment.status;
    if (before === null) {
      await this.requestSubscription(event);
    }
    if (before === 'approved' && now !== 'approved') {
      await this.readers.commentWithdrawn(manager, comment.id);
    }
    if (now === 'approved' && before !== 'approved') {
      await this.readers.commentPublished(manager, comment);
    }
    if (before === 'pending' && now !== 'pending') {
      await this.moderators.commentDecided(manager, comment.id);
    }
    if (now === 'pending' && before !== 'pending') {
      await this.moderators.commentHeld(manager, comment);
    }
  }

  /** The same for many comments at once (a bulk decision), set-based. */
  @OnEvent(CommentsStatusChangedInTx.event, { suppressErrors: false })
  async onCommentsStatus(event: CommentsStatusChangedInTx): Promise<void> {
    const { changes, manager } = event;
    const moved = (from: (s: string) => boolean, to: (s: string) => boolean) =>
      changes.filter((c) => from(c.previousStatus) && to(c.comment.status)).map((c) => c.comment);
    const is = (status: string) => (s: string) => s === status;
    const not = (status: string) => (s: string) => s !== status;
    const withdrawn = moved(is('approved'), not('approved'));
    if (withdrawn.length > 0) {
      await this.readers.commentsWithdrawn(
        manager,
        withdrawn.map((c) => c.id),
      );
    }
    const published = moved(not('approved'), is('approved'));
    if (published.length > 0) {
      await this.readers.commentsPublished(manager, published);
    }
    const decided = moved(is('pending'), not('pending'));
    if (decided.length > 0) {
      await this.moderators.commentsDecided(
        manager,
        decided.map((c) => c.id),
      );
    }
    const held = moved(not('pending'), is('pending'));
    if (held.length > 0) {
      await this.moderators.commentsHeld(manager, held);
    }
  }

  /**
   * The "Notify of" choice asks for a subscription even while the comment waits for review: the
   * confirmation mail is about the subscription, never about the comment. Spam asks for nothing.
   */
  private async requestSubscription(event: CommentStatusChangedInTx): Promise<void> {
    const { comment, manager, origin } = event;
    if (comment.notify === 'none' || comment.status === 'spam') {
      return;
    }
    if (!isDeliverableAddress(comment.authorEmail.trim())) {
      return;
    }
    await this.subscriptions.request(
      {
        kind: comment.notify,
        email: comment.authorEmail,
        articleId: comment.articleId,
        consent: {
          ip: origin?.ip ?? null,
          userAgent: origin?.userAgent ?? comment.userAgent,
          source: 'comment-form',
          textVersion: COMMENT_NOTIFY_CONSENT_VERSION,
        },
      },
      manager,
    );
  }
}
