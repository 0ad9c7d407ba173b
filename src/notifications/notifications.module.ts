import { CommentsModule } from '../comments/comments.module';
import { Module } from '@nestjs/common';
import { ArticlesModule } from '../articles/articles.module';
import { CommonModule } from '../common/common.module';
import { MailModule } from '../mail/mail.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { FollowPageController } from './follow-page.controller';
import { WebModule } from '../web/web.module';
import { ArticleSubscriptionsController } from './article-subscriptions.controller';
import { ArticleSubscriptionsService } from './article-subscriptions.service';
import { CommentNotificationsListener } from './comment-notifications.listener';
import { ModeratorAlerts } from './moderator-alerts.service';
import { NotificationDelivery } from './notification-delivery.service';
import { NotificationsRepository } from './notifications.repository';
import { ReaderNotifications } from './reader-notifications.service';

/**
 * Reply and follow-up notifications and moderator alerts. Listens to comments (which never
 * import it) and queues mail through the outbox, in the comment's own transaction.
 */
@Module({
  imports: [
    ArticlesModule,
    CommentsModule,
    CommonModule,
    MailModule,
    SubscriptionsModule,
    WebModule,
  ],
  controllers: [ArticleSubscriptionsController, FollowPageController],
  providers: [
    NotificationsRepository,
    NotificationDelivery,
    ReaderNotifications,
    ModeratorAlerts,
    CommentNotificationsListener,
    ArticleSubscriptionsService,
  ],
})
export class NotificationsModule {}
