import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { userAgentOf } from '../http/request-info';
import { NewsletterSignupDto } from './dto/newsletter.dto';
import { NewsletterService } from './newsletter.service';

@ApiTags('newsletter')
@Controller('api/newsletter')
export class NewsletterController {
  constructor(private readonly newsletter: NewsletterService) {}

  /** The same 202 for new, pending, confirmed, unsubscribed and suppressed addresses. */
  @Post('subscriptions')
  @HttpCode(202)
  async subscribe(
    @Body() body: NewsletterSignupDto,
    @Req() req: FastifyRequest,
  ): Promise<{ status: 'pending' }> {
    await this.newsletter.signup({
      email: body.email,
      name: body.name,
      source: body.source ?? 'api',
      ip: req.ip ?? null,
      userAgent: userAgentOf(req),
    });
    return { status: 'pending' };
  }
}
