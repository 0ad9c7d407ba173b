import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { userAgentOf } from '../http/request-info';
import { typed, validateForm } from '../common/validation-errors';
import { formState } from '../comments/comment-page.service';
import { PRIMARY_READS } from '../database/read-context';
import { ArticlePageRenderer } from '../web/article-page.renderer';
import { checkSlug } from '../web/article-page.controller';
import { ArticleSubscriptionDto } from './dto/article-subscription.dto';
import {
  ArticleSubscriptionsService,
  FOLLOW_BOX_CONSENT_VERSION,
} from './article-subscriptions.service';

/**
 * The article page's "Subscribe to this discussion" box without JavaScript: follow an article
 * without commenting. 303 to the notice next to the box, or the page again with the errors.
 */
@ApiExcludeController()
@Controller('articles/:slug/follow')
export class FollowPageController {
  constructor(
    private readonly subscriptions: ArticleSubscriptionsService,
    private readonly renderer: ArticlePageRenderer,
  ) {}

  @Post()
  async follow(
    @Param('slug') slug: string,
    @Body() form: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    checkSlug(slug);
    const parsed = validateForm(ArticleSubscriptionDto, form ?? {});
    if (!parsed.input) {
      const values = { email: typed(form, 'email'), kind: typed(form, 'kind') };
      void res
        .status(400)
        .type('text/html; charset=utf-8')
        .send(
          await this.renderer.render(
            PRIMARY_READS,
            slug,
            {},
            {
              follow: formState(values, parsed.errors, {
                email: 'follow-email',
                kind: 'follow-kind-followups',
              }),
            },
          ),
        );
      return;
    }
    await this.subscriptions.request(
      slug,
      parsed.input,
      { ip: req.ip ?? null, userAgent: userAgentOf(req) },
      { source: 'follow-box', textVersion: FOLLOW_BOX_CONSENT_VERSION },
    );
    void res.redirect(`/articles/${slug}?following=1#follow`, 303);
  }
}
