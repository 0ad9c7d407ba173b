import { Body, Controller, Header, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { userAgentOf } from '../http/request-info';
import { typed, validateForm } from '../common/validation-errors';
import { formState } from '../comments/comment-page.service';
import { PRIMARY_READS } from '../database/read-context';
import { checkSlug } from '../web/article-page.controller';
import { ArticlePageRenderer } from '../web/article-page.renderer';
import { PagesService } from '../web/pages.service';
import { NewsletterFormDto } from './dto/newsletter.dto';
import { NewsletterService } from './newsletter.service';

/** The newsletter box's form targets when the page runs without JavaScript. */
@ApiExcludeController()
@Controller()
export class NewsletterPageController {
  constructor(
    private readonly newsletter: NewsletterService,
    private readonly pages: PagesService,
    private readonly renderer: ArticlePageRenderer,
  ) {}

  /** The box under an article: 303 back to a notice in the box, or the box with its errors. */
  @Post('articles/:slug/newsletter')
  async subscribeFromArticle(
    @Param('slug') slug: string,
    @Body() form: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    checkSlug(slug);
    const parsed = validateForm(NewsletterFormDto, form ?? {});
    if (!parsed.input) {
      const values = { email: typed(form, 'email'), consent: form?.consent ? 'true' : '' };
      const state = formState(values, parsed.errors, {
        email: 'newsletter-email',
        consent: 'newsletter-consent',
      });
      void res
        .status(400)
        .type('text/html; charset=utf-8')
        .send(await this.renderer.render(PRIMARY_READS, slug, {}, { newsletter: state }));
      return;
    }
    await this.newsletter.signup({
      email: parsed.input.email,
      source: 'newsletter-form',
      ip: req.ip ?? null,
      userAgent: userAgentOf(req),
    });
    void res.redirect(`/articles/${slug}?subscribed=1#newsletter`, 303);
  }

  /** The box on pages without an article: a page of its own answers. */
  @Post('newsletter/subscribe')
  @HttpCode(202)
  @Header('Content-Type', 'text/html; charset=utf-8')
  async subscribe(@Body() form: NewsletterFormDto, @Req() req: FastifyRequest): Promise<string> {
    await this.newsletter.signup({
      email: form.email,
      source: 'newsletter-form',
      ip: req.ip ?? null,
      userAgent: userAgentOf(req),
    });
    return this.pages.render('subscription-notice', {
      title: 'Check your inbox',
      heading: 'Check your inbox',
      message:
        'Almost done: check your inbox and confirm your subscription with the link we sent you.',
    });
  }
}
