import {
  Controller,
  Get,
  HttpException,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { userAgentOf } from '../http/request-info';
import { RateLimitedException } from '../common/rate-limit';
import {
  CONSOLE_COOKIE,
  ConsoleGuard,
  ConsoleRequest,
  ConsoleRoles,
  ConsoleSignInFilter,
  readCookie,
} from './console-auth.guard';
import { field, formOf, Page, safeBack } from './console-forms';
import { ConsoleSessionsService, SESSION_HOURS } from './console-sessions.service';
import { ConsoleView } from './console-view';

/** Sign-in, sign-out and the list of live sessions. */
@ApiExcludeController()
@UseFilters(ConsoleSignInFilter)
@Controller('admin')
export class ConsoleAuthController {
  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly view: ConsoleView,
  ) {}

  private cookie(value: string, maxAgeSeconds: number): string {
    const secure = this.sessions.secureCookies ? '; Secure' : '';
    return `${CONSOLE_COOKIE}=${value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
  }

  @Get()
  async signInPage(
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
    @Query('next') next?: string,
  ): Promise<void> {
    res.header('Cache-Control', 'no-store');
    if (await this.sessions.resolve(readCookie(req, CONSOLE_COOKIE))) {
      void res.redirect(safeBack(next, '/admin/queue'), 303);
      return;
    }
    void res.type('text/html; charset=utf-8').send(this.signInForm(next));
  }

  private signInForm(next: string | undefined, error?: string): string {
    return this.view.renderPublic('sign-in', {
      title: 'Sign in',
      next: safeBack(next, '/admin/queue'),
      error,
    });
  }

  /** Cross-site posts (login CSRF) are refused before this by CrossSiteFormsGuard. */
  @Post('sign-in')
  async signIn(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    res.header('Cache-Control', 'no-store');
    const form = formOf(req);
    const next = field(form, 'next');
    try {
      const cookie = await this.sessions.signIn(field(form, 'token') ?? '', {
        ip: req.ip ?? 'unknown',
        userAgent: userAgentOf(req),
      });
      res.header('Set-Cookie', this.cookie(cookie, SESSION_HOURS * 3600));
      void res.redirect(safeBack(next, '/admin/queue'), 303);
    } catch (error) {
      if (error instanceof RateLimitedException) {
        res.header('Retry-After', String(error.retryAfterSeconds));
        void res
          .status(429)
          .type('text/html; charset=utf-8')
          .send(this.signInForm(next, 'Too many failed sign-ins from your network. Wait a while.'));
        return;
      }
      if (error instanceof HttpException && error.getStatus() === 401) {
        void res
          .status(401)
          .type('text/html; charset=utf-8')
          .send(this.signInForm(next, 'That token is not valid (or was revoked).'));
        return;
      }
      throw error;
    }
  }

  @Post('sign-out')
  @UseGuards(ConsoleGuard)
  @ConsoleRoles('admin', 'moderator')
  async signOut(@Req() req: ConsoleRequest, @Res() res: FastifyReply): Promise<void> {
    await this.sessions.end(req.console!.id);
    res.header('Cache-Control', 'no-store');
    res.header('Set-Cookie', this.cookie('', 0));
    void res.redirect('/admin', 303);
  }

  @Page('sessions')
  @UseGuards(ConsoleGuard)
  async list(@Req() req: ConsoleRequest): Promise<string> {
    const session = req.console!;
    const sessions = await this.sessions.list(session);
    const byToken = new Map<string, typeof sessions>();
    for (const s of sessions) {
      byToken.set(s.tokenName, [...(byToken.get(s.tokenName) ?? []), s]);
    }
    return this.view.render('sessions', session, 'sessions', {
      title: 'Sessions',
      tokens: [...byToken.entries()].map(([name, list]) => ({ name, sessions: list })),
    });
  }

  @Post('sessions/:id/end')
  @UseGuards(ConsoleGuard)
  async endOne(
    @Param('id') id: string,
    @Req() req: ConsoleRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    if (!/^[0-9a-f-]{36}$/.test(id) || !(await this.sessions.endListed(req.console!, id))) {
      throw new NotFoundException('no such live session');
    }
    void res.redirect(id === req.console!.id ? '/admin' : '/admin/sessions', 303);
  }
}
