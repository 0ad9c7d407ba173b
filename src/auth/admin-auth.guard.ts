import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  Logger,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AdminRole } from './admin-token.entity';
import { AdminPrincipal, AdminTokensService } from './admin-tokens.service';
import { pathOf } from '../http/request-info';

const ROLES_KEY = 'marginalia:admin-roles';

/** Widens an admin route to these roles; without it, only `admin` tokens pass. */
export const AllowRoles = (...roles: AdminRole[]) => SetMetadata(ROLES_KEY, roles);

export type AdminRequest = FastifyRequest & { admin?: AdminPrincipal };

/** An admin path in any letter case, however many slashes separate its first segments. */
const ADMIN_PATH = /^\/+api\/+admin/i;

/**
 * Whether the request reached an admin route. The matched route's pattern decides (routes match
 * in any letter case, so `/API/admin/...` reaches the same handler as `/api/admin/...`); the
 * request path is a second opinion. A request without a matched pattern is judged on its path
 * alone.
 */
function isAdminRequest(request: FastifyRequest): boolean {
  const route: unknown = request.routeOptions?.url;
  return (typeof route === 'string' && ADMIN_PATH.test(route)) || ADMIN_PATH.test(pathOf(request));
}

/**
 * Installed globally and keyed on the path, not on a decorator, so an admin route can never be
 * left open by forgetting to annotate it: everything under /api/admin needs a valid bearer token.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly logger = new Logger('AdminAuth');

  constructor(
    private readonly tokens: AdminTokensService,
    private readonly reflector: Reflector,
  ) {}

  /** Answers at once for every request outside /api/admin (no promise to wait for). */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') {
      return true;
    }
    const request = context.switchToHttp().getRequest<AdminRequest>();
    return isAdminRequest(request) ? this.authorize(context, request) : true;
  }

  private async authorize(context: ExecutionContext, request: AdminRequest): Promise<boolean> {
    const header = request.headers.authorization ?? '';
    // The auth scheme is case-insensitive (RFC 9110 §11.1); the token is not.
    const match = /^bearer +([A-Za-z0-9_\-.~+/]{16,256}=*)$/i.exec(header);
    const principal = match ? await this.tokens.verify(match[1]) : null;
    if (!principal) {
      this.logger.warn(`rejected admin request ${request.method} ${pathOf(request)}`);
      throw new UnauthorizedException('a valid admin bearer token is required');
    }
    const allowed = this.reflector.getAllAndOverride<AdminRole[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]) ?? ['admin'];
    if (!allowed.includes(principal.role)) {
      throw new ForbiddenException(`the ${principal.role} role may not do this`);
    }
    request.admin = principal;
    return true;
  }
}
