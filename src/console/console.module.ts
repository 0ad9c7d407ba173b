import { Module } from '@nestjs/common';
import { ArticlesModule } from '../articles/articles.module';
import { AuthModule } from '../auth/auth.module';
import { HealthModule } from '../health/health.module';
import { MailModule } from '../mail/mail.module';
import { ModerationModule } from '../moderation/moderation.module';
import { NewsletterModule } from '../newsletter/newsletter.module';
import { PeopleModule } from '../people/people.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { WebModule } from '../web/web.module';
import { ConsoleAdminController } from './console-admin.controller';
import { ConsoleArticlesController } from './console-articles.controller';
import { ConsoleAuditController } from './console-audit.controller';
import { ConsoleAuthController } from './console-auth.controller';
import { ConsoleGuard } from './console-auth.guard';
import { ConsoleQueueController } from './console-queue.controller';
import { ConsoleSessionsService } from './console-sessions.service';
import { ConsoleView } from './console-view';
import { QueueLiveService } from './queue-live.service';
import { ScaleOutModule } from '../database/scale-out.module';

/**
 * The moderation console under /admin: server-rendered pages over the same services the admin
 * API uses. Sessions are cookies backed by console_sessions; every write carries a CSRF token.
 * Every /admin response is marked no-store and noindex (configureHttp sets those headers).
 */
@Module({
  imports: [
    AuthModule,
    ArticlesModule,
    HealthModule,
    MailModule,
    ModerationModule,
    ScaleOutModule,
    NewsletterModule,
    PeopleModule,
    SubscriptionsModule,
    WebModule,
  ],
  controllers: [
    ConsoleAuthController,
    ConsoleQueueController,
    ConsoleAuditController,
    ConsoleArticlesController,
    ConsoleAdminController,
  ],
  providers: [ConsoleSessionsService, ConsoleGuard, ConsoleView, QueueLiveService],
})
export class ConsoleModule {}
