import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CommentEntity } from '../comments/comment.entity';
import { emailHash } from '../comments/post-comment.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { NotificationReason } from './comment-notification.entity';
import { NotificationDelivery } from './notification-delivery.service';
import { articleUrl, notifiedComment } from './notification-mails';
import { ArticleSubscriber, NotificationsRepository } from './notifications.repository';

interface Recipient {
  email: string;
  key: string;
  hash: string;
  followups?: ArticleSubscriber;
  replies?: ArticleSubscriber;
}

/**
 * Who hears of a comment that became visible: confirmed `followups` subscribers of its article,
 * and confirmed `replies` subscribers who wrote one of its ancestors (matched by the keyed address
 * hash comments carry). Computed as a set of addresses, so a person with both kinds, or with
 * several comments up the thread, gets one notification; the comment's author gets none.
 */
@Injectable()
export class ReaderNotifications {
  constructor(
    private readonly repository: NotificationsRepository,
    private readonly delivery: NotificationDelivery,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async commentPublished(manager: EntityManager, comment: Readonly<CommentEntity>): Promise<void> {
    const subscribers = await this.repository.findArticleSubscribers(manager, comment.articleId);
    if (subscribers.length === 0) {
      return;
    }
    const article = await this.repository.findArticle(manager, comment.articleId);
    if (!article) {
      return;
    }
    const ancestors = await this.repository.findAuthorHashes(manager, comment.path);
    const recipients = new Map<string, Recipient>();
    for (const subscriber of subscribers) {
      const hash = emailHash(subscriber.email, this.config.hashSecret);
      if (hash === comment.authorEmailHash) {
        continue;
      }
      if (subscriber.kind === 'replies' && !ancestors.has(hash)) {
        continue;
      }
      const recipient = recipients.get(subscriber.emailKey) ?? {
        email: subscriber.email,
        key: subscriber.emailKey,
        hash,
      };
      recipient[subscriber.kind] = subscriber;
      recipients.set(subscriber.emailKey, recipient);
    }
    // Sorted: deliver() locks each recipient, and every transaction locks in the same order.
    for (const recipient of [...recipients.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
      const reasons: NotificationReason[] = [];
      if (recipient.replies) {
        reasons.push('replies');
      }
      if (recipient.followups) {
        reasons.push('followups');
      }
      // The wider subscription's link: unsubscribing from it stops the most of this mail.
      const subscription = recipient.followups ?? recipient.replies!;
      await this.delivery.deliver(manager, {
        audience: 'reader',
        commentId: comment.id,
        articleId: comment.articleId,
        recipient,
        subscriptionId: subscription.id,
        reasons,
        template: 'comment-notification',
        data: {
          articleId: article.id,
          articleTitle: article.title,
          articleUrl: articleUrl(this.config.publicUrl, article.slug),
          comment: notifiedComment(
            comment,
            article.slug,
            this.config.publicUrl,
            recipient.replies !== undefined,
          ),
          because: { replies: !!recipient.replies, followups: !!recipient.followups },
        },
      });
    }
  }

  async commentWithdrawn(manager: EntityManager, commentId: string): Promise<void> {
    await this.delivery.withdraw(
      manager,
      'reader',
      commentId,
      'not sent: the comment was withdrawn before it went out',
    );
  }
}
