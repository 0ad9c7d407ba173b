import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ArticlesModule } from './articles/articles.module';
import { AuthModule } from './auth/auth.module';
import { CommentsModule } from './comments/comments.module';
import { CommonModule } from './common/common.module';
import { CompiledValidationPipe } from './common/validation-pipe';
import { ConsoleModule } from './console/console.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { CrossSiteFormsGuard } from './http/cross-site-forms.guard';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { MailModule } from './mail/mail.module';
import { NewsletterModule } from './newsletter/newsletter.module';
import { NotificationsModule } from './notifications/notifications.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { ModerationModule } from './moderation/moderation.module';
import { PeopleModule } from './people/people.module';
import { ImportModule } from './import/import.module';
import { ExportModule } from './export/export.module';
import { FeedsModule } from './feeds/feeds.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WebModule } from './web/web.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        EventEmitterModule.forRoot(),
        DatabaseModule,
        CommonModule,
        HealthModule,
        AuthModule,
        ArticlesModule,
        CommentsModule,
        WebModule,
        MailModule,
        SubscriptionsModule,
        NewsletterModule,
        ModerationModule,
        NotificationsModule,
        PeopleModule,
        ImportModule,
        ExportModule,
        FeedsModule,
        WebhooksModule,
        ConsoleModule,
      ],
      providers: [
        {
          provide: APP_PIPE,
          useValue: new CompiledValidationPipe(),
        },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_GUARD, useClass: CrossSiteFormsGuard },
      ],
    };
  }
}
