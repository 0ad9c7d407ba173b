import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CommentEntity } from '../comments/comment.entity';
import { emailHash } from '../comments/post-comment.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { canonicalEmail, emailKey, isDeliverableAddress } from '../mail/email-address';
import { NotificationDelivery } from './notification-delivery.service';
import { adminUrls, heldComment } from './notification-mails';
import { NotificationsRepository } from './notifications.repository';

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

  async commentHeld(manager: EntityManager, comment: Readonly<CommentEntity>): Promise<void> {
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
    const article = await this.repository.findArticle(manager, comment.articleId);
    if (!article) {
      return;
    }
    const data = {
      comment: heldComment(comment, article, this.config.publicUrl),
      ...adminUrls(this.config.publicUrl),
    };
    for (const key of [...addresses.keys()].sort()) {
      if (await this.repository.isSuppressed(manager, key)) {
        continue;
      }
      await this.delivery.deliver(manager, {
        audience: 'moderator',
        commentId: comment.id,
        articleId: comment.articleId,
        recipient: {
          email: addresses.get(key)!,
          key,
          hash: emailHash(key, this.config.hashSecret),
        },
        subscriptionId: null,
        reasons: ['held'],
        template: 'moderation-alert',
        data,
      });
    }
  }

  async commentDecided(manager: EntityManager, commentId: string): Promise<void> {
    await this.delivery.withdraw(
      manager,
      'moderator',
      commentId,
      'not sent: the comment was decided before the alert went out',
    );
  }
}
