import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Page } from '../common/list.dto';
import { EmailListQuery, EmailResponse } from './dto/email.dto';
import { MailOutbox } from './mail-outbox.service';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin/emails')
export class AdminEmailsController {
  constructor(private readonly outbox: MailOutbox) {}

  /** The outbox, newest first, optionally of one status. */
  @Get()
  list(@Query() query: EmailListQuery): Promise<Page<EmailResponse>> {
    return this.outbox.list(query.limit, query.status, query.cursor);
  }

  /** Queues a dead or ambiguous email again, from a fresh attempt count. */
  @Post(':id/retry')
  @HttpCode(200)
  retry(@Param('id', new ParseUUIDPipe()) id: string): Promise<EmailResponse> {
    return this.outbox.retry(id);
  }
}
