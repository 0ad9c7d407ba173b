import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CommentEntity } from '../comments/comment.entity';
import { emailHash } from '../comments/post-comment.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { canonicalEmail, emailKey, isDeliverableAddress } from '../mail/email-address';
import { NotificationDelivery } from './notification-delivery.service';
import { adminUrls, heldComment } from './notification-mails';
import { NotificationsRepository, NotifiedArticle } from './notifications.repository';
import { MailTemplateData } from '../mail/mail-templates';

/**
 * Tells the moderators (the `moderatorEmails` moderation setting) that a comment waits for
 * review, on arrival or when held later; floods of held comments fold into digests like reader
 * notifications do. An alert still unsent when the comment is decided is withdrawn.
 */
@Injectable()
export class ModeratorAlerts {
  constructor(
    private readonly repository: NotificationsRepository,
    private readonly delivery: NotificationDelivery,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  commentHeld(manager: EntityManager, comment: Readonly<CommentEntity>): Promise<void> {
    return this.commentsHeld(manager, [comment]);
  }

  /** Many comments held at once (a bulk hold): each moderator's alerts are delivered together. */
  async commentsHeld(
    manager: EntityManager,
    comments: readonly Readonly<CommentEntity>[],
  ): Promise<void> {
    const addresses = new Map<string, string>();
    for (const raw of await this.repository.findModeratorEmails(manager)) {
      const email = canonicalEmail(raw);
      if (isDeliverableAddress(email)) {
        addresses.set(emailKey(email), email);
      }
    }
    if (addresses.size === 0) {
      return;
    }
    const held: { comment: Readonly<CommentEntity>; data: MailTemplateData['moderation-alert'] }[] =
      [];
    const articles = new Map<string, NotifiedArticle | null>();
    for (const comment of comments) {
      if (!articles.has(comment.articleId)) {
        articles.set(
          comment.articleId,
          await this.repository.findArticle(manager, comment.articleId),
        );
      }
      const article = articles.get(comment.articleId);
      if (article) {
        held.push({
          comment,
          data: {
            comment: heldComment(comment, article, this.config.publicUrl),
            ...adminUrls(this.config.publicUrl),
          },
        });
      }
    }
    for (const key of [...addresses.keys()].sort()) {
      if (await this.repository.isSuppressed(manager, key)) {
        continue;
      }
      const recipient = {
        email: addresses.get(key)!,
        key,
        hash: emailHash(key, this.config.hashSecret),
      };
      await this.delivery.deliverMany(
        manager,
        held.map(({ comment, data }) => ({
          audience: 'moderator' as const,
          commentId: comment.id,
          articleId: comment.articleId,
          recipient,
          subscriptionId: null,
          reasons: ['held' as const],
          template: 'moderation-alert' as const,
          data,
        })),
      );
    }
  }

  commentDecided(manager: EntityManager, commentId: string): Promise<void> {
    return this.commentsDecided(manager, [commentId]);
  }

  async commentsDecided(manager: EntityManager, commentIds: string[]): Promise<void> {
    await this.delivery.withdrawMany(
      manager,
      'moderator',
      commentIds,
      'not sent: the comment was decided before the alert went out',
    );
  }
}
