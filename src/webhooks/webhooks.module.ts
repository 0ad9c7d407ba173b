import { CommentsModule } from '../comments/comments.module';
import { Module } from '@nestjs/common';
import { ScaleOutModule } from '../database/scale-out.module';
import { MailModule } from '../mail/mail.module';
import { AdminWebhooksController } from './admin-webhooks.controller';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookEventsListener } from './webhook-events.listener';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/** Signed webhooks: admins' endpoints, an outbox filled by domain events, its dispatcher. */
@Module({
  imports: [MailModule, CommentsModule, ScaleOutModule],
  controllers: [AdminWebhooksController],
  providers: [WebhooksRepository, WebhooksService, WebhookEventsListener, WebhookDispatcher],
})
export class WebhooksModule {}
