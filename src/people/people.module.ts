import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module';
import { MailModule } from '../mail/mail.module';
import { WebModule } from '../web/web.module';
import { DataRequestPagesController } from './data-request-pages.controller';
import { DataRequestsController } from './data-requests.controller';
import { DataRequestsService } from './data-requests.service';
import { PeopleController } from './people.controller';
import { PeopleService } from './people.service';

/**
 * Data rights (export and erasure of one address): the admin endpoints, and the readers' own
 * requests confirmed through a single-use link mailed to the address.
 */
@Module({
  imports: [CommonModule, MailModule, WebModule],
  controllers: [PeopleController, DataRequestsController, DataRequestPagesController],
  providers: [PeopleService, DataRequestsService],
  exports: [PeopleService],
})
export class PeopleModule {}
