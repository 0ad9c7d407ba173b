import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { headerOf, pathOf } from './request-info';

const CROSS_SITE_ALLOWED = 'marginalia:cross-site-allowed';

/**
 * Exempts one page route from the cross-site check. Only for a post that must come from outside:
 * the RFC 8058 one-click unsubscribe, which mail providers send from their own servers (or a
 * webmail page) and which carries its own unguessable token.
 */
export const AllowCrossSite = () => SetMetadata(CROSS_SITE_ALLOWED, true);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the browser says about who made the request; null when it says nothing usable. */
function fetchSite(request: FastifyRequest): string | null {
  const value = headerOf(request, 'sec-fetch-site');
  return value ? value.trim().toLowerCase() : null;
}

/**
 * Page forms (everything outside /api that changes state) refuse posts made by another site's
 * page. Installed globally and keyed on the path, so a new form is covered without an annotation:
 *
 * - `Sec-Fetch-Site` other than `same-origin` or `none` (a user's own navigation) is refused;
 * - an `Origin` must be PUBLIC_URL's origin or name the request's own Host; `Origin: null`
 *   passes only with `Sec-Fetch-Site: same-origin` (our pages send `Referrer-Policy: no-referrer`,
 *   under which a browser's own form post says `null`; a sandboxed frame elsewhere says the same
 *   but is `cross-site`).
 *
 * A request with neither header is not from a modern browser's page, so there is no user's
 * session to ride on, and it passes. API routes need no guard: they take JSON only, which a
 * cross-site page cannot send without a CORS preflight that nothing here answers.
 */
@Injectable()
export class CrossSiteFormsGuard implements CanActivate {
  private readonly publicOrigin: string;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.publicOrigin = new URL(config.publicUrl).origin.toLowerCase();
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') {
      return true;
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (SAFE_METHODS.has(request.method) || this.isApi(request)) {
      return true;
    }
    if (this.reflector.get<boolean>(CROSS_SITE_ALLOWED, context.getHandler())) {
      return true;
    }
    const site = fetchSite(request);
    if (site !== null && site !== 'same-origin' && site !== 'none') {
      throw this.refusal();
    }
    const origin = headerOf(request, 'origin')?.trim().toLowerCase();
    if (origin === undefined) {
      return true;
    }
    if (origin === 'null') {
      if (site === 'same-origin') {
        return true;
      }
      throw this.refusal();
    }
    if (origin !== this.publicOrigin && !this.isOwnHost(origin, request)) {
      throw this.refusal();
    }
    return true;
  }

  /**
   * The Origin names the host the request was sent to. The scheme is not compared: behind a proxy
   * that ends TLS, the app may see http while the browser says https.
   */
  private isOwnHost(origin: string, request: FastifyRequest): boolean {
    const host = headerOf(request, 'host')?.trim().toLowerCase();
    if (!host || !URL.canParse(origin)) {
      return false;
    }
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host;
  }

  private isApi(request: FastifyRequest): boolean {
    const route: unknown = request.routeOptions?.url;
    return [route, pathOf(request)].every(
      (path) =>
        typeof path !== 'string' ||
        path
          .toLowerCase()
          .replace(/\/{2,}/g, '/')
          .startsWith('/api/'),
    );
  }

  private refusal(): ForbiddenException {
    return new ForbiddenException(
      'this form was posted from another site (a cross-site request); open the page here and send it again',
    );
  }
}
