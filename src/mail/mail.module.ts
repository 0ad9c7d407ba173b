import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ScaleOutModule } from '../database/scale-out.module';
import { AdminEmailsController } from './admin-emails.controller';
import { EmailOutboxEntity } from './email-outbox.entity';
import { FileTransport } from './file.transport';
import { MailDispatcher } from './mail-dispatcher.service';
import { MailOutbox } from './mail-outbox.service';
import { MailRenderer } from './mail-renderer.service';
import { MAIL_TRANSPORT, MailTransport } from './mail-transport';
import { OutboxRepository } from './outbox.repository';
import { SmtpTransport } from './smtp.transport';
import { SuppressionEntity } from './suppression.entity';
import { SuppressionsRepository } from './suppressions.repository';
import { UnsubscribeLinks } from './unsubscribe-links';

/** The only module that talks SMTP. Others queue mail through `MailOutbox.enqueue`. */
@Module({
  imports: [TypeOrmModule.forFeature([EmailOutboxEntity, SuppressionEntity]), ScaleOutModule],
  controllers: [AdminEmailsController],
  providers: [
    OutboxRepository,
    SuppressionsRepository,
    MailOutbox,
    MailRenderer,
    MailDispatcher,
    UnsubscribeLinks,
    {
      provide: MAIL_TRANSPORT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): MailTransport =>
        config.smtpUrl
          ? new SmtpTransport(config.smtpUrl, config.mailFrom, config.mail)
          : new FileTransport(join(config.dataDir, 'mail')),
    },
  ],
  exports: [MailOutbox, MailRenderer, UnsubscribeLinks],
})
export class MailModule {}
