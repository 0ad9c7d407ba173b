import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminRequest } from '../auth/admin-auth.guard';
import { Page } from '../common/list.dto';
import { SubscriberListQuery, SubscriptionResponse } from '../subscriptions/dto/subscription.dto';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import {
  NewsletterIssueDetail,
  NewsletterIssueDto,
  NewsletterIssueResponse,
} from './dto/newsletter.dto';
import { NewsletterService } from './newsletter.service';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin')
export class AdminNewsletterController {
  constructor(
    private readonly newsletter: NewsletterService,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  /** Every kind of subscription with its consent record, newest first. */
  @Get('subscribers')
  subscribers(@Query() query: SubscriberListQuery): Promise<Page<SubscriptionResponse>> {
    return this.subscriptions.list(
      query.limit,
      { kind: query.kind, status: query.status },
      query.cursor,
    );
  }

  /** One issue and its mails counted by status (queued, sent, ambiguous…). */
  @Get('newsletter/issues/:id')
  issue(@Param('id', new ParseUUIDPipe()) id: string): Promise<NewsletterIssueDetail> {
    return this.newsletter.getIssue(id);
  }

  /** Queues the issue to every confirmed newsletter subscriber; sending happens after. */
  @Post('newsletter/issues')
  @HttpCode(202)
  queueIssue(
    @Body() body: NewsletterIssueDto,
    @Req() req: AdminRequest,
  ): Promise<NewsletterIssueResponse> {
    return this.newsletter.queueIssue(body, req.admin?.name ?? null);
  }
}
