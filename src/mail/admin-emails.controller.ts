import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Page } from '../common/list.dto';
import { EmailListQuery, EmailResponse, EmailStatsResponse } from './dto/email.dto';
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

  /** Counts by status: what a crash left ambiguous shows here, not only in the log. */
  @Get('stats')
  stats(): Promise<EmailStatsResponse> {
    return this.outbox.stats();
  }

  /** Queues a dead or ambiguous email again, from a fresh attempt count. */
  @Post(':id/retry')
  @HttpCode(200)
  retry(@Param('id', new ParseUUIDPipe()) id: string): Promise<EmailResponse> {
    return this.outbox.retry(id);
  }
}
