import {
  BadRequestException,
  Controller,
  Get,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ArticlesService } from '../articles/articles.service';
import { PRIMARY_READS } from '../database/read-context';
import { MailOutbox } from '../mail/mail-outbox.service';
import { EmailListQuery } from '../mail/dto/email.dto';
import { UpdateModerationSettingsDto } from '../moderation/dto/moderation-settings.dto';
import { ModerationSettings } from '../moderation/moderation-policy';
import { ModerationSettingsService } from '../moderation/moderation-settings.service';
import { NewsletterIssueDto } from '../newsletter/dto/newsletter.dto';
import { NewsletterService } from '../newsletter/newsletter.service';
import { EmailParamPipe } from '../people/email-param.pipe';
import { PeopleService } from '../people/people.service';
import { SubscriberListQuery } from '../subscriptions/dto/subscription.dto';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { ConsoleGuard, ConsoleRequest, ConsoleSignInFilter } from './console-auth.guard';
import { field, formOf, FormFields, lines, Page, safeBack, validateAs } from './console-forms';
import { ConsoleView } from './console-view';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type SettingsForm = Record<keyof ModerationSettings, string>;

function settingsForm(s: ModerationSettings): SettingsForm {
  return {
    mode: s.mode,
    maxLinks: String(s.maxLinks),
    holdWords: s.holdWords.join('\n'),
    blockWords: s.blockWords.join('\n'),
    blockedEmails: s.blockedEmails.join('\n'),
    blockedIps: s.blockedIps.join('\n'),
    reportThreshold: String(s.reportThreshold),
    moderatorEmails: s.moderatorEmails.join('\n'),
  };
}

function stringQuery(q: Record<string, unknown>, names: string[]): Record<string, string> {
  return Object.fromEntries(
    names
      .map((n) => [n, q[n]])
      .filter((pair): pair is [string, string] => typeof pair[1] === 'string' && pair[1] !== ''),
  );
}

/**
 * The admin-only sections: moderation settings, newsletter, mail (subscribers and outbox) and
 * people. Each calls the service its /api/admin route calls, with the same DTO validation.
 */
@ApiExcludeController()
@UseFilters(ConsoleSignInFilter)
@UseGuards(ConsoleGuard)
@Controller('admin')
export class ConsoleAdminController {
  constructor(
    private readonly settings: ModerationSettingsService,
    private readonly newsletter: NewsletterService,
    private readonly outbox: MailOutbox,
    private readonly subscriptions: SubscriptionsService,
    private readonly people: PeopleService,
    private readonly articles: ArticlesService,
    private readonly view: ConsoleView,
  ) {}

  // ---- settings -------------------------------------------------------------------------------

  @Page('settings')
  async settingsPage(@Req() req: ConsoleRequest): Promise<string> {
    const saved = req.query.saved === '1';
    return this.renderSettings(req, settingsForm(await this.settings.current()), [], saved);
  }

  private renderSettings(
    req: ConsoleRequest,
    form: SettingsForm,
    errors: string[],
    saved = false,
  ): string {
    return this.view.render('settings', req.console!, 'settings', {
      title: 'Moderation settings',
      form,
      errors,
      saved,
      modes: [
        { value: 'none', label: 'none: publish at once (rules below still apply)' },
        { value: 'first', label: 'first: hold an address’s first comment' },
        { value: 'all', label: 'all: hold every comment' },
      ].map((m) => ({ ...m, selected: m.value === form.mode })),
    });
  }

  @Post('settings')
  async saveSettings(@Req() req: ConsoleRequest, @Res() res: FastifyReply): Promise<void> {
    const form = formOf(req);
    const echo = Object.fromEntries(
      [
        'mode',
        'maxLinks',
        'holdWords',
        'blockWords',
        'blockedEmails',
        'blockedIps',
        'reportThreshold',
        'moderatorEmails',
      ].map((n) => [n, field(form, n) ?? '']),
    ) as SettingsForm;
    const number = (v: string) => (/^\d{1,6}$/.test(v.trim()) ? Number(v.trim()) : v);
    const checked = await validateAs(UpdateModerationSettingsDto, {
      mode: echo.mode,
      maxLinks: number(echo.maxLinks),
      holdWords: lines(echo.holdWords),
      blockWords: lines(echo.blockWords),
      blockedEmails: lines(echo.blockedEmails),
      blockedIps: lines(echo.blockedIps),
      reportThreshold: number(echo.reportThreshold),
      moderatorEmails: lines(echo.moderatorEmails),
    });
    if (!checked.value) {
      void res
        .status(422)
        .type('text/html; charset=utf-8')
        .send(this.renderSettings(req, echo, checked.errors));
      return;
    }
    await this.settings.update(checked.value, req.console!.tokenName);
    void res.redirect('/admin/settings?saved=1', 303);
  }

  // ---- newsletter -----------------------------------------------------------------------------

  @Page('newsletter')
  async compose(@Req() req: ConsoleRequest): Promise<string> {
    return this.renderCompose(req, { subject: '', body: '', articleSlug: '' }, []);
  }

  /** Admin reads stay on the primary: the articles an editor just published are listed. */
  private async renderCompose(
    req: ConsoleRequest,
    form: { subject: string; body: string; articleSlug: string },
    errors: string[],
  ): Promise<string> {
    return this.view.render('newsletter', req.console!, 'newsletter', {
      title: 'Newsletter',
      form,
      errors,
      issues: await this.newsletter.recentIssues(),
      articles: (await this.articles.listPublished(PRIMARY_READS, 50)).items,
    });
  }

  private async issueInput(
    form: FormFields,
  ): Promise<
    | { input: NewsletterIssueDto; echo: Record<string, string>; errors: null }
    | { input: null; echo: Record<string, string>; errors: string[] }
  > {
    const echo = {
      subject: field(form, 'subject') ?? '',
      body: (field(form, 'body') ?? '').replace(/\r\n/g, '\n'),
      articleSlug: (field(form, 'articleSlug') ?? '').trim(),
    };
    const plain: Record<string, unknown> = { subject: echo.subject.trim() };
    if (echo.articleSlug) {
      plain.articleSlug = echo.articleSlug;
    } else if (echo.body.trim()) {
      plain.body = echo.body;
    }
    const checked = await validateAs(NewsletterIssueDto, plain);
    if (!checked.value) {
      return { input: null, echo, errors: checked.errors };
    }
    if (!echo.articleSlug && !echo.body.trim()) {
      return { input: null, echo, errors: ['write a body or name an article'] };
    }
    return { input: checked.value, echo, errors: null };
  }

  /** Step two: the real mail (HTML and text) and the number of recipients, before sending. */
  @Post('newsletter/preview')
  async preview(@Req() req: ConsoleRequest, @Res() res: FastifyReply): Promise<void> {
    const parsed = await this.issueInput(formOf(req));
    if (!parsed.input) {
      void res
        .status(422)
        .type('text/html; charset=utf-8')
        .send(await this.renderCompose(req, parsed.echo as never, parsed.errors));
      return;
    }
    const preview = await this.newsletter.preview(parsed.input);
    void res.type('text/html; charset=utf-8').send(
      this.view.render('newsletter-preview', req.console!, 'newsletter', {
        title: 'Preview the newsletter',
        form: parsed.echo,
        preview,
      }),
    );
  }

  /**
   * The HTML mail alone, for the preview's frame: the mail's inline styles need their own CSP,
   * and this page may be framed by the console (and nothing else).
   */
  @Post('newsletter/preview.html')
  async previewHtml(@Req() req: ConsoleRequest, @Res() res: FastifyReply): Promise<void> {
    const parsed = await this.issueInput(formOf(req));
    if (!parsed.input) {
      throw new BadRequestException(parsed.errors.join('; '));
    }
    const preview = await this.newsletter.preview(parsed.input);
    res.header(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'",
    );
    res.header('X-Frame-Options', 'SAMEORIGIN');
    void res.type('text/html; charset=utf-8').send(preview.html);
  }

  /** Step three: queued to every confirmed subscriber once the box is ticked. */
  @Post('newsletter/send')
  async send(@Req() req: ConsoleRequest, @Res() res: FastifyReply): Promise<void> {
    const form = formOf(req);
    const parsed = await this.issueInput(form);
    if (!parsed.input) {
      void res
        .status(422)
        .type('text/html; charset=utf-8')
        .send(await this.renderCompose(req, parsed.echo as never, parsed.errors));
      return;
    }
    if (field(form, 'confirm') !== 'yes') {
      const preview = await this.newsletter.preview(parsed.input);
      void res
        .status(422)
        .type('text/html; charset=utf-8')
        .send(
          this.view.render('newsletter-preview', req.console!, 'newsletter', {
            title: 'Preview the newsletter',
            form: parsed.echo,
            preview,
            errors: ['tick the box to confirm the send'],
          }),
        );
      return;
    }
    const issue = await this.newsletter.queueIssue(parsed.input, req.console!.tokenName);
    void res.redirect(`/admin/newsletter/issues/${issue.id}`, 303);
  }

  @Page('newsletter/issues/:id')
  async issuePage(@Param('id') id: string, @Req() req: ConsoleRequest): Promise<string> {
    if (!UUID.test(id)) {
      throw new NotFoundException('newsletter issue not found');
    }
    const progress = await this.newsletter.progress(id);
    return this.view.render('newsletter-issue', req.console!, 'newsletter', {
      title: `Newsletter: ${progress.subject}`,
      progress,
      statuses: ['queued', 'sending', 'failed', 'sent', 'dead', 'ambiguous'].map((s) => ({
        status: s,
        n: progress.byStatus[s] ?? 0,
      })),
    });
  }

  /** The same numbers as JSON, polled by the page's script while the issue goes out. */
  @Get('newsletter/issues/:id/progress')
  async issueProgress(@Param('id') id: string) {
    if (!UUID.test(id)) {
      throw new NotFoundException('newsletter issue not found');
    }
    return this.newsletter.progress(id);
  }

  // ---- mail: outbox and subscribers -----------------------------------------------------------

  @Page('mail')
  async outboxPage(@Req() req: ConsoleRequest): Promise<string> {
    const q = stringQuery(req.query, ['status', 'cursor']);
    const checked = await validateAs(EmailListQuery, q);
    if (!checked.value) {
      throw new BadRequestException(checked.errors.join('; '));
    }
    const query = checked.value;
    const page = await this.outbox.list(50, query.status, query.cursor);
    const base = query.status ? `/admin/mail?status=${query.status}&` : '/admin/mail?';
    return this.view.render('mail', req.console!, 'mail', {
      title: 'Mail',
      back: query.status ? `/admin/mail?status=${query.status}` : '/admin/mail',
      status: query.status ?? '',
      statuses: ['queued', 'sending', 'failed', 'sent', 'dead', 'ambiguous'].map((s) => ({
        value: s,
        selected: s === query.status,
      })),
      items: page.items.map((m) => ({
        ...m,
        // As the API: dead and ambiguous mail is retried by hand; failed mail retries by itself.
        retryable: m.status === 'dead' || m.status === 'ambiguous',
      })),
      nextUrl: page.nextCursor ? `${base}cursor=${encodeURIComponent(page.nextCursor)}` : null,
    });
  }

  @Post('mail/:id/retry')
  async retry(
    @Param('id') id: string,
    @Req() req: ConsoleRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    if (!UUID.test(id)) {
      throw new NotFoundException('email not found');
    }
    await this.outbox.retry(id);
    void res.redirect(safeBack(field(formOf(req), 'back'), '/admin/mail'), 303);
  }

  @Page('subscribers')
  async subscribersPage(@Req() req: ConsoleRequest): Promise<string> {
    const q = stringQuery(req.query, ['kind', 'status', 'cursor']);
    const checked = await validateAs(SubscriberListQuery, q);
    if (!checked.value) {
      throw new BadRequestException(checked.errors.join('; '));
    }
    const query = checked.value;
    const page = await this.subscriptions.list(
      50,
      { kind: query.kind, status: query.status },
      query.cursor,
    );
    const params = new URLSearchParams(stringQuery(q, ['kind', 'status']));
    if (page.nextCursor) {
      params.set('cursor', page.nextCursor);
    }
    return this.view.render('subscribers', req.console!, 'mail', {
      title: 'Subscribers',
      kinds: ['newsletter', 'followups', 'replies'].map((k) => ({
        value: k,
        selected: k === query.kind,
      })),
      statuses: ['pending', 'confirmed', 'unsubscribed', 'bounced'].map((s) => ({
        value: s,
        selected: s === query.status,
      })),
      items: page.items,
      nextUrl: page.nextCursor ? `/admin/subscribers?${params.toString()}` : null,
    });
  }

  // ---- people ---------------------------------------------------------------------------------

  @Page('people')
  peoplePage(@Req() req: ConsoleRequest): string {
    return this.view.render('people', req.console!, 'people', {
      title: 'People',
      erased: req.query.erased === '1',
    });
  }

  @Post('people/export')
  async exportPerson(@Req() req: ConsoleRequest, @Res() res: FastifyReply): Promise<void> {
    const email = new EmailParamPipe().transform(field(formOf(req), 'email') ?? '');
    const data = await this.people.export(email);
    res.header('Content-Disposition', 'attachment; filename="person-export.json"');
    void res
      .status(200)
      .type('application/json')
      .send(JSON.stringify(data, null, 2));
  }

  @Post('people/erase')
  async erasePerson(@Req() req: ConsoleRequest, @Res() res: FastifyReply): Promise<void> {
    const form = formOf(req);
    const email = new EmailParamPipe().transform(field(form, 'email') ?? '');
    if (field(form, 'confirm') !== 'yes') {
      throw new BadRequestException('tick the box to confirm the erasure');
    }
    await this.people.erase(email);
    void res.redirect('/admin/people?erased=1', 303);
  }
}
