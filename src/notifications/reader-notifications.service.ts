import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CommentEntity } from '../comments/comment.entity';
import { emailHash } from '../comments/post-comment.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { NotificationReason } from './comment-notification.entity';
import { Notification, NotificationDelivery } from './notification-delivery.service';
import { articleUrl, notifiedComment } from './notification-mails';
import {
  ArticleSubscriber,
  NotificationsRepository,
  NotifiedArticle,
} from './notifications.repository';

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

  commentPublished(manager: EntityManager, comment: Readonly<CommentEntity>): Promise<void> {
    return this.commentsPublished(manager, [comment]);
  }

  /**
   * Many comments became visible at once (a bulk approval): per article, the subscribers, the
   * article and the ancestors' authors are read once, and each recipient's notifications are
   * delivered together (one lock, one digest rebuild).
   */
  async commentsPublished(
    manager: EntityManager,
    comments: readonly Readonly<CommentEntity>[],
  ): Promise<void> {
    const byArticle = new Map<string, Readonly<CommentEntity>[]>();
    for (const comment of comments) {
      byArticle.set(comment.articleId, [...(byArticle.get(comment.articleId) ?? []), comment]);
    }
    for (const [articleId, published] of [...byArticle].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const subscribers = await this.repository.findArticleSubscribers(manager, articleId);
      if (subscribers.length === 0) {
        continue;
      }
      const article = await this.repository.findArticle(manager, articleId);
      if (!article) {
        continue;
      }
      const authors = await this.repository.findAuthorHashes(
        manager,
        published.flatMap((c) => c.path),
      );
      const hashed = subscribers.map((s) => ({
        subscriber: s,
        hash: emailHash(s.email, this.config.hashSecret),
      }));
      const perRecipient = new Map<string, Notification<'comment-notification'>[]>();
      for (const comment of published) {
        const ancestors = new Set(comment.path.map((id) => authors.get(id)));
        for (const recipient of this.recipientsOf(comment, hashed, ancestors)) {
          const list = perRecipient.get(recipient.key) ?? [];
          list.push(this.notification(comment, article, recipient));
          perRecipient.set(recipient.key, list);
        }
      }
      // Sorted: deliverMany() locks each recipient, and every transaction locks in the same order.
      for (const key of [...perRecipient.keys()].sort()) {
        await this.delivery.deliverMany(manager, perRecipient.get(key)!);
      }
    }
  }

  private recipientsOf(
    comment: Readonly<CommentEntity>,
    subscribers: { subscriber: ArticleSubscriber; hash: string }[],
    ancestors: Set<string | undefined>,
  ): Recipient[] {
    const recipients = new Map<string, Recipient>();
    for (const { subscriber, hash } of subscribers) {
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
    return [...recipients.values()];
  }

  private notification(
    comment: Readonly<CommentEntity>,
    article: NotifiedArticle,
    recipient: Recipient,
  ): Notification<'comment-notification'> {
    const reasons: NotificationReason[] = [];
    if (recipient.replies) {
      reasons.push('replies');
    }
    if (recipient.followups) {
      reasons.push('followups');
    }
    // The wider subscription's link: unsubscribing from it stops the most of this mail.
    const subscription = recipient.followups ?? recipient.replies!;
    return {
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
    };
  }

  async commentWithdrawn(manager: EntityManager, commentId: string): Promise<void> {
    await this.commentsWithdrawn(manager, [commentId]);
  }

  async commentsWithdrawn(manager: EntityManager, commentIds: string[]): Promise<void> {
    await this.delivery.withdrawMany(
      manager,
      'reader',
      commentIds,
      'not sent: the comment was withdrawn before it went out',
    );
  }
}
