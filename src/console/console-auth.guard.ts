import {
  ArgumentsHost,
  CanActivate,
  Catch,
  ExceptionFilter,
  ExecutionContext,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AdminRole } from '../auth/admin-token.entity';
import { RateLimitedException } from '../common/rate-limit';
import { PagesService } from '../web/pages.service';
import { ConsoleSession, ConsoleSessionsService } from './console-sessions.service';
import { headerOf, prefersJson } from '../http/request-info';

export const CONSOLE_COOKIE = 'mg_console';
const ROLES_KEY = 'marginalia:console-roles';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Opens a console page to these roles; without it, only `admin` sessions pass (as in the API). */
export const ConsoleRoles = (...roles: AdminRole[]) => SetMetadata(ROLES_KEY, roles);

export type ConsoleRequest = FastifyRequest<{ Querystring: Record<string, unknown> }> & {
  console?: ConsoleSession;
};

/** No live session: pages redirect to the sign-in form, scripts get a 401. */
export class ConsoleSignInRequired extends HttpException {
  constructor() {
    super('sign in to the console first', HttpStatus.UNAUTHORIZED);
  }
}

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header || header.length > 8192) {
    return undefined;
  }
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      return part.slice(at + 1).trim();
    }
  }
  return undefined;
}

export function wantsJson(req: FastifyRequest): boolean {
  return headerOf(req, 'x-requested-with') === 'fetch' || prefersJson(req);
}

/**
 * Every console route but sign-in: a live session, a role allowed to use the page, and on every
 * write the session's CSRF token (`_csrf` field or X-CSRF-Token). Posts another site's page
 * makes are refused before this, for every page form, by CrossSiteFormsGuard.
 */
@Injectable()
export class ConsoleGuard implements CanActivate {
  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<ConsoleRequest>();
    const session = await this.sessions.resolve(readCookie(req, CONSOLE_COOKIE));
    if (!session) {
      throw new ConsoleSignInRequired();
    }
    const allowed = this.reflector.getAllAndOverride<AdminRole[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]) ?? ['admin'];
    if (!allowed.includes(session.role)) {
      throw new ForbiddenException(`the ${session.role} role may not use this page`);
    }
    if (WRITE_METHODS.has(req.method)) {
      const body = req.body as Record<string, unknown> | undefined;
      const given = headerOf(req, 'x-csrf-token') ?? body?._csrf;
      if (!this.sessions.csrfMatches(session, given)) {
        throw new ForbiddenException(
          'this form has expired or did not come from this site; reload the page and try again',
        );
      }
    }
    req.console = session;
    return true;
  }
}

/**
 * Console errors: a signed-out browser goes to the sign-in form (with the page to come back to);
 * other client errors (400, 403, 404, 409, 422, 429) are shown as a console page, or as the API's
 * JSON to scripts. Anything else (the database down, a bug) is left to the app's filter.
 */
@Catch(HttpException)
export class ConsoleSignInFilter implements ExceptionFilter {
  constructor(private readonly pages: PagesService) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const res = host.switchToHttp().getResponse<FastifyReply>();
    res.header('Cache-Control', 'no-store');
    if (!(exception instanceof ConsoleSignInRequired)) {
      this.clientError(exception, req, res);
      return;
    }
    if (wantsJson(req)) {
      void res.status(401).send({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'sign in to the console first',
      });
      return;
    }
    const next = req.method === 'GET' ? `?next=${encodeURIComponent(req.url)}` : '';
    void res.redirect(`/admin${next}`, 303);
  }

  private clientError(exception: HttpException, req: FastifyRequest, res: FastifyReply): void {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const raw =
      typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const message = Array.isArray(raw)
      ? raw.map(String).join('; ')
      : typeof raw === 'string'
        ? raw
        : exception.message;
    const error = STATUS_CODES[status] ?? 'Error';
    if (exception instanceof RateLimitedException) {
      res.header('Retry-After', String(exception.retryAfterSeconds));
    }
    if (wantsJson(req)) {
      void res.status(status).send({ statusCode: status, error, message });
      return;
    }
    const heading =
      status === 403
        ? 'Not allowed'
        : status === 404
          ? 'Not found'
          : `Could not do that (${error})`;
    void res
      .status(status)
      .type('text/html; charset=utf-8')
      .send(this.pages.render('console-error', { title: heading, heading, message }));
  }
}
