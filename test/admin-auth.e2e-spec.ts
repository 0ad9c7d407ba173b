import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { AdminTokensService } from '../src/auth/admin-tokens.service';
import { hashToken } from '../src/common/tokens';
import { createTestApp, TestApp } from './support/app';

/** Every route the app registered, as [METHOD, path with params filled in]. */
function allRoutes(t: TestApp): [string, string][] {
  return t.routes.map(({ method, path }) => [method, path.replace(/:\w+/g, 'some-id')]);
}

function send(t: TestApp, method: string, path: string) {
  const agent = request(t.http);
  const req =
    method === 'POST'
      ? agent.post(path)
      : method === 'PUT'
        ? agent.put(path)
        : method === 'PATCH'
          ? agent.patch(path)
          : method === 'DELETE'
            ? agent.delete(path)
            : agent.get(path);
  return ['POST', 'PUT', 'PATCH'].includes(method) ? req.send({}) : req;
}

describe('admin authentication and roles', () => {
  let t: TestApp;
  let tokens: AdminTokensService;

  beforeAll(async () => {
    t = await createTestApp();
    tokens = t.app.get(AdminTokensService);
  });
  afterAll(() => t.close());

  it('every /api/admin route, present and future, answers 401 without a token', async () => {
    const admin = allRoutes(t).filter(([, path]) => path.toLowerCase().startsWith('/api/admin'));
    expect(admin.length).toBeGreaterThanOrEqual(4);
    expect(admin).toContainEqual(['POST', '/api/admin/articles']);
    for (const [method, path] of admin) {
      const res = await send(t, method, path);
      expect(`${method} ${path} → ${res.status}`).toBe(`${method} ${path} → 401`);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
  });

  it('the guard cannot be sidestepped by the spelling of the path', async () => {
    for (const path of [
      '/API/admin/articles',
      '/api/ADMIN/articles',
      '/Api/Admin/Articles',
      '/api/admin/articles/',
      '/api/admin/articles?x=1',
      '/api/admin/%61rticles',
      '//api//admin/articles',
    ]) {
      const res = await request(t.http).get(path);
      expect(`${path} → ${res.status}`).toMatch(/→ (401|404)$/);
      expect(res.status === 200).toBe(false);
    }
  });

  it.each([
    ['no Authorization header', undefined],
    ['an empty bearer', 'Bearer '],
    ['a Basic credential', `Basic ${Buffer.from('admin:admin').toString('base64')}`],
    ['a wrong token', 'Bearer wrong-token-wrong-token-wrong-token'],
    ['the token without "Bearer"', 'test-admin-token-0123456789abcdef'],
    // The scheme is case-insensitive (issue 9 §11, secrets-headers.e2e-spec.ts), but it is a word.
    ['the scheme glued to the token', 'bearertest-admin-token-0123456789abcdef'],
    ['the token with trailing junk', 'Bearer test-admin-token-0123456789abcdef x'],
    ['the stored hash of the token', `Bearer ${hashToken('test-admin-token-0123456789abcdef')}`],
    ['an overlong token', `Bearer ${'a'.repeat(5000)}`],
  ])('401 with %s', async (_case, header) => {
    const req = request(t.http).get('/api/admin/articles');
    const res = await (header === undefined ? req : req.set('Authorization', header));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'a valid admin bearer token is required',
    });
  });

  it('accepts ADMIN_TOKEN and a created admin token; a revoked token answers 401 at once', async () => {
    await request(t.http).get('/api/admin/articles').set(t.admin).expect(200);
    const token = await tokens.create('carol', 'admin');
    expect(token).toMatch(/^mgadm_[A-Za-z0-9_-]{43}$/);
    const auth = { Authorization: `Bearer ${token}` };
    await request(t.http).get('/api/admin/articles').set(auth).expect(200);
    await request(t.http)
      .post('/api/admin/articles')
      .set(auth)
      .send({ title: 'By Carol', body: 'Text.' })
      .expect(201);
    expect(await tokens.revoke('carol')).toBe(true);
    await request(t.http).get('/api/admin/articles').set(auth).expect(401);
    // The name may be reused; the new token works, the old one stays dead.
    const again = await tokens.create('carol', 'admin');
    await request(t.http)
      .get('/api/admin/articles')
      .set({ Authorization: `Bearer ${again}` })
      .expect(200);
    await request(t.http).get('/api/admin/articles').set(auth).expect(401);
  });

  it('stores tokens only as hashes', async () => {
    const token = await tokens.create('dave', 'moderator');
    const rows: { token_hash: string }[] = await t.dataSource.query(
      "SELECT token_hash FROM admin_tokens WHERE name = 'dave'",
    );
    expect(rows).toEqual([{ token_hash: hashToken(token!) }]);
    const dump = JSON.stringify(await t.dataSource.query('SELECT * FROM admin_tokens'));
    expect(dump).not.toContain(token!);
  });

  it('a live name cannot be issued twice', async () => {
    expect(await tokens.create('erin', 'admin')).toEqual(expect.any(String));
    expect(await tokens.create('erin', 'admin')).toBeNull();
  });

  it('a moderator token answers 403 on every article route', async () => {
    const token = await tokens.create('mod', 'moderator');
    const auth = { Authorization: `Bearer ${token}` };
    const cases: [string, string][] = [
      ['GET', '/api/admin/articles'],
      ['GET', '/api/admin/articles/anything'],
      ['POST', '/api/admin/articles'],
      ['PATCH', '/api/admin/articles/anything'],
    ];
    for (const [method, path] of cases) {
      const res = await send(t, method, path).set(auth);
      expect(`${method} ${path} → ${res.status}`).toBe(`${method} ${path} → 403`);
      expect(res.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'the moderator role may not do this',
      });
    }
    const res = await request(t.http)
      .post('/api/admin/articles')
      .set(auth)
      .send({ title: 'Sneaky', slug: 'sneaky', body: 'x' });
    expect(res.status).toBe(403);
    await request(t.http).get('/api/admin/articles/sneaky').set(t.admin).expect(404);
  });

  it('public routes need no token', async () => {
    await request(t.http).get('/api/articles').expect(200);
    await request(t.http).get('/api/health').expect(200);
  });
});
