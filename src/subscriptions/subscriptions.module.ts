import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailModule } from '../mail/mail.module';
import { WebModule } from '../web/web.module';
import { SubscriptionPagesController } from './subscription-pages.controller';
import { SubscriptionEntity } from './subscription.entity';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsRepository } from './subscriptions.repository';
import { SubscriptionsService } from './subscriptions.service';

/** Every opt-in; newsletter and notifications call `SubscriptionsService.request()`. */
@Module({
  imports: [TypeOrmModule.forFeature([SubscriptionEntity]), MailModule, WebModule],
  controllers: [SubscriptionsController, SubscriptionPagesController],
  providers: [SubscriptionsRepository, SubscriptionsService],
  exports: [SubscriptionsService],
})
export class SubscriptionsModule {}
