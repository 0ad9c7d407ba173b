import { Body, Controller, Get, Header, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { PagesService } from '../web/pages.service';
import { DataRequestDto } from './dto/data-request.dto';
import { DataRequestsService } from './data-requests.service';

const HTML = 'text/html; charset=utf-8';
const TOKEN = /^dr_[A-Za-z0-9_-]{43}$/;

/**
 * "Your data": linked from every mail and from the unsubscribe page. Asking sends a link to the
 * address; the link's page shows a button (GET changes nothing: mail scanners follow links) and
 * its POST acts once. Cross-site posts are refused by the global page-form guard.
 */
@ApiExcludeController()
@Controller('my-data')
export class DataRequestPagesController {
  constructor(
    private readonly requests: DataRequestsService,
    private readonly pages: PagesService,
  ) {}

  @Get()
  @Header('Content-Type', HTML)
  form(): string {
    return this.pages.render('my-data', { title: 'Your data' });
  }

  @Post()
  @HttpCode(202)
  @Header('Content-Type', HTML)
  async request(@Body() form: DataRequestDto, @Req() req: FastifyRequest): Promise<string> {
    await this.requests.request(form.kind, form.email, req.ip ?? null);
    return this.notice(
      'Check your inbox',
      'If this address can receive mail from us, a link is on its way to it. Open it within a day and press its button.',
    );
  }

  @Get('confirm')
  @Header('Content-Type', HTML)
  async confirmPage(
    @Query('token') token: unknown,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string> {
    const { state, kind } =
      typeof token === 'string' && TOKEN.test(token)
        ? await this.requests.tokenState(token)
        : { state: 'unknown' as const, kind: undefined };
    if (state !== 'valid') {
      res.status(state === 'used' ? 410 : 404);
      return this.notice(
        'Link not valid',
        'This link is not valid (anymore): each works once, for a day.',
      );
    }
    return this.pages.render('my-data-confirm', {
      title: kind === 'export' ? 'Download your data' : 'Erase your data',
      token,
      isExport: kind === 'export',
    });
  }

  @Post('confirm')
  async act(
    @Body() form: Record<string, unknown> | undefined,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const token = form?.token;
    const outcome =
      typeof token === 'string' && TOKEN.test(token) ? await this.requests.act(token) : null;
    res.header('Cache-Control', 'no-store');
    if (!outcome) {
      void res
        .status(410)
        .type(HTML)
        .send(
          this.notice(
            'Link not valid',
            'This link is not valid (anymore): each works once, for a day.',
          ),
        );
      return;
    }
    if (outcome.kind === 'export') {
      void res
        .status(200)
        .type('application/json; charset=utf-8')
        .header('Content-Disposition', 'attachment; filename="my-data.json"')
        .send(JSON.stringify(outcome.data, null, 2));
      return;
    }
    void res
      .status(200)
      .type(HTML)
      .send(
        this.notice(
          'Your data is erased',
          'Your comments no longer carry your name or address, your subscriptions are gone, and this site will not mail the address again.',
        ),
      );
  }

  private notice(heading: string, message: string): string {
    return this.pages.render('subscription-notice', { title: heading, heading, message });
  }
}
