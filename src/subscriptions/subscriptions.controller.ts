import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { userAgentOf } from '../http/request-info';
import { SubscriptionKind } from '../mail/mail-templates';
import { TokenDto } from './dto/subscription.dto';
import { SubscriptionsService } from './subscriptions.service';

@ApiTags('subscriptions')
@Controller('api')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  /** 200 again for a token confirmed before; 410 once expired; 404 unknown. */
  @Post('subscriptions/confirm')
  @HttpCode(200)
  confirm(
    @Body() body: TokenDto,
    @Req() req: FastifyRequest,
  ): Promise<{ status: 'confirmed'; kind: SubscriptionKind }> {
    return this.subscriptions
      .confirm(body.token, { ip: req.ip ?? null, userAgent: userAgentOf(req) })
      .then(({ kind }) => ({ status: 'confirmed' as const, kind }));
  }

  /** The subscription the token belongs to, and only it; idempotent. */
  @Post('unsubscribe')
  @HttpCode(200)
  async unsubscribe(
    @Body() body: TokenDto,
  ): Promise<{ status: 'unsubscribed'; kind: SubscriptionKind }> {
    const { kind } = await this.subscriptions.unsubscribe(body.token);
    return { status: 'unsubscribed', kind };
  }
}
