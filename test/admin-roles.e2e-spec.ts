import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminTokensService } from '../src/auth/admin-tokens.service';
import { adminToken } from './factories/moderation';
import { AppRoute, createTestApp, TestApp } from './support/app';

type Route = AppRoute;

/**
 * Every /api/admin route the app has, as Fastify registered them (test/support/app.ts listens to
 * its onRoute hook), so a route a later feature adds is covered without touching this test.
 */
function adminRoutes(t: TestApp): Route[] {
  return t.routes.filter((route) => route.path.startsWith('/api/admin'));
}

/** A concrete URL for a route pattern: every parameter gets a well-formed but unknown value. */
function concrete(path: string): string {
  return path.replace(/:(\w+)/g, (_, name: string) =>
    name === 'email' ? 'nobody@example.com' : name === 'slug' ? 'no-such-article' : randomUUID(),
  );
}

/** The routes moderator tokens may use: comment moderation, nothing else. */
const MODERATOR_ROUTES = /^\/api\/admin\/comments(\/|$)/;

function call(t: TestApp, route: Route, headers: Record<string, string>) {
  const url = concrete(route.path);
  const agent = request(t.http);
  const req =
    route.method === 'GET'
      ? agent.get(url)
      : route.method === 'POST'
        ? agent.post(url).send({})
        : route.method === 'PUT'
          ? agent.put(url).send({})
          : route.method === 'PATCH'
            ? agent.patch(url).send({})
            : route.method === 'DELETE'
              ? agent.delete(url)
              : null;
  if (!req) {
    throw new Error(`no request builder for ${route.method}`);
  }
  return req.set(headers);
}

describe('admin roles: the whole route matrix', () => {
  let t: TestApp;
  let routes: Route[];
  let moderator: { Authorization: string };
  let revoked: { Authorization: string };

  beforeAll(async () => {
    t = await createTestApp();
    routes = adminRoutes(t);
    moderator = await adminToken(t, 'matrix-moderator', 'moderator');
    revoked = await adminToken(t, 'matrix-revoked', 'admin');
    await t.app.get(AdminTokensService).revoke('matrix-revoked');
  });
  afterAll(() => t.close());

  it('finds the admin routes of every feature', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /api/admin/comments',
        'PATCH /api/admin/comments/:id',
        'POST /api/admin/comments/bulk',
        'DELETE /api/admin/comments/:id',
        'GET /api/admin/comments/:id/events',
        'GET /api/admin/settings/moderation',
        'PUT /api/admin/settings/moderation',
        'POST /api/admin/articles',
      ]),
    );
  });

  it('answers 401 on every admin route without a token, or with a malformed or revoked one', async () => {
    const bad: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer' },
      { Authorization: 'Bearer short' },
      { Authorization: 'Bearer !!!!!!!!!!!!!!!!!!!!!!!!' },
      { Authorization: 'Basic dXNlcjpwYXNzd29yZA==' },
      { Authorization: `Bearer mgadm_${'x'.repeat(43)}` },
      revoked,
    ];
    for (const route of routes) {
      for (const headers of bad) {
        const res = await call(t, route, headers);
        expect(res.status, `${route.method} ${route.path} with ${JSON.stringify(headers)}`).toBe(
          401,
        );
        expect(res.body).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'a valid admin bearer token is required',
        });
      }
    }
  });

  it('answers 403 to a moderator token everywhere but comment moderation', async () => {
    const forbidden = routes.filter((r) => !MODERATOR_ROUTES.test(r.path));
    const allowed = routes.filter((r) => MODERATOR_ROUTES.test(r.path));
    expect(forbidden.length).toBeGreaterThan(0);
    expect(allowed.length).toBeGreaterThanOrEqual(5);
    for (const route of forbidden) {
      const res = await call(t, route, moderator);
      expect(res.status, `${route.method} ${route.path}`).toBe(403);
    }
    for (const route of allowed) {
      const res = await call(t, route, moderator);
      expect([401, 403], `${route.method} ${route.path}`).not.toContain(res.status);
    }
  });

  it('lets an admin token through on every admin route', async () => {
    for (const route of routes) {
      const res = await call(t, route, t.admin);
      expect([401, 403], `${route.method} ${route.path}`).not.toContain(res.status);
    }
  });
});
