import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ArticlesModule } from '../articles/articles.module';
import { CommonModule } from '../common/common.module';
import { MailModule } from '../mail/mail.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { WebModule } from '../web/web.module';
import { AdminNewsletterController } from './admin-newsletter.controller';
import { NewsletterIssueEntity } from './newsletter-issue.entity';
import { NewsletterIssuesRepository } from './newsletter-issues.repository';
import { NewsletterPageController } from './newsletter-page.controller';
import { NewsletterController } from './newsletter.controller';
import { NewsletterService } from './newsletter.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([NewsletterIssueEntity]),
    ArticlesModule,
    CommonModule,
    MailModule,
    SubscriptionsModule,
    WebModule,
  ],
  controllers: [NewsletterController, NewsletterPageController, AdminNewsletterController],
  providers: [NewsletterService, NewsletterIssuesRepository],
  exports: [NewsletterService],
})
export class NewsletterModule {}
