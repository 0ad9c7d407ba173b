import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { userAgentOf } from '../http/request-info';
import { ArticleSubscriptionDto } from './dto/article-subscription.dto';
import { ArticleSubscriptionsService } from './article-subscriptions.service';

@ApiTags('subscriptions')
@Controller('api/articles/:slug/subscriptions')
export class ArticleSubscriptionsController {
  constructor(private readonly subscriptions: ArticleSubscriptionsService) {}

  /** The same 202 whatever the address's state; 404 for an unknown article. */
  @Post()
  @HttpCode(202)
  async subscribe(
    @Param('slug') slug: string,
    @Body() body: ArticleSubscriptionDto,
    @Req() req: FastifyRequest,
  ): Promise<{ status: 'pending' }> {
    await this.subscriptions.request(slug, body, {
      ip: req.ip ?? null,
      userAgent: userAgentOf(req),
    });
    return { status: 'pending' };
  }
}
