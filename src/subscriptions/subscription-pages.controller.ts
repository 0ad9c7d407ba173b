import {
  Body,
  Controller,
  Get,
  GoneException,
  Header,
  HttpCode,
  NotFoundException,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { userAgentOf } from '../http/request-info';
import { AllowCrossSite } from '../http/cross-site-forms.guard';
import { KIND_DESCRIPTIONS } from '../mail/mail-templates';
import { PagesService } from '../web/pages.service';
import { looksLikeToken } from './dto/subscription.dto';
import { SubscriptionsService } from './subscriptions.service';

const HTML = 'text/html; charset=utf-8';

/** Form fields arrive untyped; the token is the only one these pages read. */
type TokenForm = Record<string, unknown> | undefined;

/**
 * The pages links in mails open. A GET only shows a button (mail scanners follow every link);
 * the POST behind the button acts. The one-click unsubscribe POST (RFC 8058) needs no cookie,
 * no auth and no particular body, and answers 200 without a redirect.
 */
@ApiExcludeController()
@Controller()
export class SubscriptionPagesController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly pages: PagesService,
  ) {}

  @Get('confirm')
  @Header('Content-Type', HTML)
  async confirmPage(
    @Query('token') token: unknown,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string> {
    const { state, kind, article } = looksLikeToken(token)
      ? await this.subscriptions.confirmTokenState(token)
      : { state: 'unknown' as const, kind: undefined, article: null };
    if (state === 'unknown') {
      res.status(404);
      return this.notice('Link not valid', 'This confirmation link is not valid (anymore).', {
        hint: 'If you asked more than once, only the newest email’s link works.',
      });
    }
    if (state === 'expired') {
      res.status(410);
      return this.expired(token as string);
    }
    if (state === 'confirmed') {
      return this.notice(
        'You are subscribed',
        `Your subscription to ${this.noun(kind)} is confirmed.`,
      );
    }
    return this.pages.render('subscription-confirm', {
      title: 'Confirm your subscription',
      token,
      noun: this.noun(kind),
      article,
    });
  }

  @Post('confirm')
  @HttpCode(200)
  @Header('Content-Type', HTML)
  async confirm(
    @Body() form: TokenForm,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string> {
    const token = form?.token;
    if (!looksLikeToken(token)) {
      res.status(404);
      return this.notice('Link not valid', 'This confirmation link is not valid (anymore).');
    }
    try {
      const { kind } = await this.subscriptions.confirm(token, {
        ip: req.ip ?? null,
        userAgent: userAgentOf(req),
      });
      return this.notice(
        'You are subscribed',
        `Thank you: your subscription to ${this.noun(kind)} is confirmed.`,
      );
    } catch (error) {
      if (error instanceof GoneException) {
        res.status(410);
        return this.expired(token);
      }
      if (error instanceof NotFoundException) {
        res.status(404);
        return this.notice('Link not valid', 'This confirmation link is not valid (anymore).');
      }
      throw error;
    }
  }

  /** From the expired-link page; answers the same whatever happened. */
  @Post('confirm/resend')
  @HttpCode(202)
  @Header('Content-Type', HTML)
  async resend(@Body() form: TokenForm, @Req() req: FastifyRequest): Promise<string> {
    const token = form?.token;
    if (looksLikeToken(token)) {
      await this.subscriptions.resendConfirmation(token, {
        ip: req.ip ?? null,
        userAgent: userAgentOf(req),
      });
    }
    return this.notice(
      'Check your inbox',
      'If a confirmation is still owed, a new email with a fresh link is on its way.',
    );
  }

  @Get('unsubscribe')
  @Header('Content-Type', HTML)
  async unsubscribePage(
    @Query('token') token: unknown,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string> {
    const { state, kind, article } = looksLikeToken(token)
      ? await this.subscriptions.unsubscribeTokenState(token)
      : { state: 'unknown' as const, kind: undefined, article: null };
    if (state === 'unknown') {
      res.status(404);
      return this.notice('Link not valid', 'This unsubscribe link is not valid.');
    }
    return this.pages.render('subscription-unsubscribe', {
      title: 'Unsubscribe',
      token,
      noun: this.noun(kind),
      done: state === 'unsubscribed',
      aboutArticle: kind === 'followups' || kind === 'replies',
      article,
    });
  }

  /** "Stop all mail about this article": each subscription of the address on that article. */
  @Post('unsubscribe/article')
  @HttpCode(200)
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async unsubscribeArticle(
    @Body() form: TokenForm,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string> {
    return this.withToken(form, res, async (token) => {
      await this.subscriptions.unsubscribeArticle(token);
      return this.notice(
        'Unsubscribed',
        'You will receive no more mail about this article: neither new comments nor replies.',
      );
    });
  }

  /** "Stop all mail from this site": the address is suppressed. */
  @Post('unsubscribe/all')
  @HttpCode(200)
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async stopAllMail(
    @Body() form: TokenForm,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string> {
    return this.withToken(form, res, async (token) => {
      await this.subscriptions.stopAllMail(token);
      return this.notice(
        'No more mail',
        'This site will send no more email to this address: no notifications, no newsletter.',
      );
    });
  }

  private async withToken(
    form: TokenForm,
    res: FastifyReply,
    work: (token: string) => Promise<string>,
  ): Promise<string> {
    const token = form?.token;
    if (!looksLikeToken(token)) {
      res.status(404);
      return this.notice('Link not valid', 'This unsubscribe link is not valid.');
    }
    try {
      return await work(token);
    } catch (error) {
      if (error instanceof NotFoundException) {
        res.status(404);
        return this.notice('Link not valid', 'This unsubscribe link is not valid.');
      }
      throw error;
    }
  }

  @Post('unsubscribe')
  // RFC 8058: mail providers post this from their own servers, with neither Origin nor fetch
  // metadata, or from a webmail page; the token in the URL is the credential.
  @AllowCrossSite()
  @HttpCode(200)
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async unsubscribe(
    @Query('token') queryToken: unknown,
    @Body() form: TokenForm,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string> {
    // Mailbox providers post `List-Unsubscribe=One-Click` to the URL from the header, so the
    // token is in the query; the page's own form sends it in the body as well.
    const token = looksLikeToken(queryToken) ? queryToken : form?.token;
    if (!looksLikeToken(token)) {
      res.status(404);
      return this.notice('Link not valid', 'This unsubscribe link is not valid.');
    }
    try {
      const { kind } = await this.subscriptions.unsubscribe(token);
      return this.pages.render('subscription-unsubscribe', {
        title: 'Unsubscribed',
        token,
        noun: this.noun(kind),
        done: true,
        aboutArticle: kind === 'followups' || kind === 'replies',
      });
    } catch (error) {
      if (error instanceof NotFoundException) {
        res.status(404);
        return this.notice('Link not valid', 'This unsubscribe link is not valid.');
      }
      throw error;
    }
  }

  private noun(kind: keyof typeof KIND_DESCRIPTIONS | undefined): string {
    return kind ? KIND_DESCRIPTIONS[kind] : 'these emails';
  }

  private expired(token: string): string {
    return this.pages.render('subscription-expired', { title: 'Link expired', token });
  }

  private notice(heading: string, message: string, extra: { hint?: string } = {}): string {
    return this.pages.render('subscription-notice', { title: heading, heading, message, ...extra });
  }
}
