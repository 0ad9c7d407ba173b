import { Body, Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Request } from 'express';
import { PagesService } from '../web/pages.service';
import { NewsletterFormDto } from './dto/newsletter.dto';
import { NewsletterService } from './newsletter.service';

/** The newsletter box's form target when the page runs without JavaScript. */
@ApiExcludeController()
@Controller('newsletter')
export class NewsletterPageController {
  constructor(
    private readonly newsletter: NewsletterService,
    private readonly pages: PagesService,
  ) {}

  @Post('subscribe')
  @HttpCode(202)
  @Header('Content-Type', 'text/html; charset=utf-8')
  async subscribe(@Body() form: NewsletterFormDto, @Req() req: Request): Promise<string> {
    await this.newsletter.signup({
      email: form.email,
      source: 'newsletter-form',
      ip: req.ip ?? null,
      userAgent: req.get('user-agent') ?? null,
    });
    return this.pages.render('subscription-notice', {
      title: 'Check your inbox',
      heading: 'Check your inbox',
      message:
        'Almost done: check your inbox and confirm your subscription with the link we sent you.',
    });
  }
}
