import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';

const SEED_SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

/** `{"title":[[[…"x"…]]]}` with the string at `levels` levels of nesting (the object is level 1). */
function nested(levels: number): string {
  const arrays = levels - 1;
  return `{"title":${'['.repeat(arrays)}"x"${']'.repeat(arrays)},"body":"x"}`;
}

describe('bad input at the edge of /api', () => {
  let t: TestApp;
  let n = 0;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const post = (body: unknown) =>
    request(t.http)
      .post('/api/admin/articles')
      .set(t.admin)
      .send(body as object);
  const valid = (extra: Record<string, unknown> = {}) => ({
    title: 'Fine',
    slug: `edge-${++n}`,
    body: 'Text.',
    ...extra,
  });

  describe('content type', () => {
    it.each([
      ['a form', 'application/x-www-form-urlencoded', 'title=x&body=y'],
      ['text/plain', 'text/plain', '{"title":"x","body":"y"}'],
      ['multipart', 'multipart/form-data; boundary=zz', '--zz--'],
      ['no content type', '', '{"title":"x","body":"y"}'],
    ])(
      'answers 415 to %s, before authentication and without creating anything',
      async (_c, type, body) => {
        const req = request(t.http).post('/api/admin/articles');
        const res = await (type ? req.set('Content-Type', type) : req).send(body);
        expect(res.status).toBe(415);
        expect(res.body).toEqual({
          statusCode: 415,
          error: 'Unsupported Media Type',
          message: 'send the body as application/json',
        });
      },
    );

    it('answers 415 to a form even with a valid token', async () => {
      await request(t.http)
        .patch(`/api/admin/articles/${SEED_SLUG}`)
        .set(t.admin)
        .type('form')
        .send({ title: 'hijacked' })
        .expect(415);
      const res = await request(t.http).get(`/api/articles/${SEED_SLUG}`).expect(200);
      expect(res.body.title).not.toBe('hijacked');
    });

    it('accepts application/json with a charset', async () => {
      await request(t.http)
        .post('/api/admin/articles')
        .set(t.admin)
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify(valid()))
        .expect(201);
    });
  });

  it('answers 413 to an article body over 1.3 MB and 201 to its 200,000 characters', async () => {
    // Articles have a limit of their own (issue 9 point 10); comment routes keep 64 kB, which
    // test/slow-clients.e2e-spec.ts checks.
    const big = await post(valid({ body: 'a'.repeat(1400 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'request body too large',
    });
    await post(valid({ body: 'a'.repeat(200_000) })).expect(201);
  });

  describe('compressed bodies', () => {
    const compressed = (encoding: string, body: Buffer) =>
      request(t.http)
        .post('/api/admin/articles')
        .set(t.admin)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        // The bytes as they are (superagent would serialize a Buffer as JSON).
        .serialize((bytes: Buffer) => bytes as unknown as string)
        .send(body);

    it('inflates a gzip or brotli body', async () => {
      await compressed('gzip', gzipSync(JSON.stringify(valid()))).expect(201);
      await compressed('br', brotliCompressSync(JSON.stringify(valid()))).expect(201);
    });

    it('answers 400 to a body that does not inflate, 415 to an unknown encoding', async () => {
      const broken = await compressed('gzip', Buffer.from('not gzip at all'));
      expect(broken.status).toBe(400);
      expect(broken.body).toMatchObject({ message: 'request body is not valid JSON' });
      const unknown = await compressed('zstd', Buffer.from('{}'));
      expect(unknown.status).toBe(415);
      expect(unknown.body).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: 'the body must be UTF-8; unsupported content encoding "zstd"',
      });
    });

    it('holds the limit to the inflated size', async () => {
      const bomb = gzipSync(JSON.stringify(valid({ body: 'a'.repeat(1400 * 1024) })));
      expect(bomb.length).toBeLessThan(64 * 1024);
      expect((await compressed('gzip', bomb)).status).toBe(413);
    });
  });

  it('answers 400 to broken JSON', async () => {
    const res = await request(t.http)
      .post('/api/admin/articles')
      .set(t.admin)
      .set('Content-Type', 'application/json')
      .send('{"title": "x",');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, message: 'request body is not valid JSON' });
  });

  describe('nesting', () => {
    const raw = (json: string) =>
      request(t.http)
        .post('/api/admin/articles')
        .set(t.admin)
        .set('Content-Type', 'application/json')
        .send(json);

    it('lets 32 levels through to validation (which rejects the array title)', async () => {
      const res = await raw(nested(32));
      expect(res.status).toBe(400);
      expect(res.body.message).not.toMatch(/nested/);
      expect(res.body.message).toMatch(/title/);
    });

    it.each([33, 100, 3000, 30_000])('answers 400, not 500, to %i levels', async (levels) => {
      const res = await raw(nested(levels));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'JSON nested deeper than 32 levels',
      });
    });

    it('answers 400 to deep objects too, and the app keeps serving', async () => {
      let json = '"x"';
      for (let i = 0; i < 5000; i++) {
        json = `{"a":${json}}`;
      }
      expect((await raw(json)).status).toBe(400);
      await request(t.http).get(`/api/articles/${SEED_SLUG}`).expect(200);
    });
  });

  describe('characters', () => {
    it.each([
      ['a NUL in the body', { body: 'a\u0000b' }, 'NUL'],
      ['a NUL in the title', { title: 'a\u0000b' }, 'NUL'],
      ['a lone high surrogate', { body: 'a\ud800b' }, 'surrogate'],
      ['a lone low surrogate', { title: 'x\udc00' }, 'surrogate'],
      ['a bell character', { body: 'ring \u0007' }, 'control'],
      ['an escape character', { summary: '\u001b[31mred' }, 'control'],
      ['a C1 control', { body: 'a\u0085b' }, 'control'],
      ['a DEL', { author: 'x\u007f' }, 'control'],
      ['a right-to-left override in the title', { title: 'evil\u202Etxt.exe' }, 'bidirectional'],
      ['a bidi isolate in the author', { author: 'Ann\u2066e' }, 'bidirectional'],
      ['a newline in the title', { title: 'two\nlines' }, 'single line'],
      ['a carriage return in the author', { author: 'Ann\rBob' }, 'single line'],
      ['a tab in the title', { title: 'a\tb' }, 'single line'],
      ['a line separator in the summary', { summary: 'a\u2028b' }, 'single line'],
      ['a NUL in a key', { 'x\u0000': 1 }, 'NUL'],
    ])('answers 400 to %s', async (_c, extra, reason) => {
      const res = await post(valid(extra));
      expect(res.status).toBe(400);
      expect(res.body.statusCode).toBe(400);
      expect(res.body.message).toContain(reason);
    });

    it('allows newlines in multi-line text, and astral characters anywhere', async () => {
      const res = await post(
        valid({ title: 'Emoji 😀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢', body: 'Line one\nline two.\r\n\r\nNext 😀.' }),
      ).expect(201);
      expect(res.body.title).toBe('Emoji 😀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢');
      expect(res.body.blocks).toHaveLength(2);
    });
  });

  describe('lengths count code points', () => {
    it('accepts a title of exactly 300 emoji (600 UTF-16 units, 1200 bytes)', async () => {
      const title = '😀'.repeat(300);
      const res = await post(valid({ title })).expect(201);
      expect(res.body.title).toBe(title);
    });

    it('rejects 301 emoji', async () => {
      const res = await post(valid({ title: '😀'.repeat(301) })).expect(400);
      expect(res.body.message).toContain('title must be a string of 1 to 300 characters');
    });

    it('counts an author of 200 CJK characters as 200', async () => {
      await post(valid({ author: '漢'.repeat(200) })).expect(201);
      await post(valid({ author: '漢'.repeat(201) })).expect(400);
    });

    it('rejects an empty title', async () => {
      await post(valid({ title: '' })).expect(400);
    });
  });

  it.each([
    ['id', { id: '00000000-0000-0000-0000-000000000000' }],
    ['commentCount', { commentCount: 9 }],
    ['__proto__', JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>],
    ['constructor', { constructor: { prototype: { x: 1 } } }],
  ])('rejects the unknown field %s with 400', async (_c, extra) => {
    const res = await post(valid(extra));
    expect(res.status).toBe(400);
    expect(res.body.statusCode).toBe(400);
  });

  it('rejects a JSON array or a bare string as the body', async () => {
    await post([valid()]).expect(400);
    const res = await request(t.http)
      .post('/api/admin/articles')
      .set(t.admin)
      .set('Content-Type', 'application/json')
      .send('"just a string"');
    expect(res.status).toBe(400);
  });
});

describe('responses', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers 404 as JSON under /api', async () => {
    for (const path of ['/api/nothing-here', '/api/articles/x/y/z', '/api']) {
      const res = await request(t.http).get(path).set('Accept', 'text/html');
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
    const del = await request(t.http).delete(`/api/articles/${SEED_SLUG}`);
    expect(del.status).toBe(404);
    expect(del.body.statusCode).toBe(404);
  });

  it('answers 404 as an HTML page elsewhere', async () => {
    for (const path of ['/nothing-here', '/articles/no-such-article', '/articles/Bad%20Slug']) {
      const res = await request(t.http).get(path).set('Accept', 'text/html');
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toMatch(/<!doctype html>/i);
      expect(res.text).toContain('Page not found');
    }
  });

  it('escapes what the address puts into an error page', async () => {
    const res = await request(t.http)
      .get('/%3Cscript%3Ealert(1)%3C%2Fscript%3E')
      .set('Accept', 'text/html');
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('<script>alert(1)');
  });

  it('sends security headers on pages and API answers', async () => {
    for (const path of ['/', `/api/articles/${SEED_SLUG}`, '/nothing-here']) {
      const res = await request(t.http).get(path);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const mine = await request(t.http).get('/api/health').set('X-Request-Id', 'abc-123-def');
    expect(mine.headers['x-request-id']).toBe('abc-123-def');
    const made = await request(t.http).get('/api/health');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const forged = await request(t.http)
      .get('/api/health')
      .set('X-Request-Id', 'x"} {"forged":true');
    expect(forged.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the OpenAPI document listing the routes', async () => {
    const res = await request(t.http).get('/api/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(res.body.paths);
    for (const path of [
      '/api/health',
      '/api/articles',
      '/api/articles/{slug}',
      '/api/admin/articles',
      '/api/admin/articles/{slug}',
    ]) {
      expect(paths).toContain(path);
    }
    expect(Object.keys(res.body.paths['/api/admin/articles'])).toEqual(
      expect.arrayContaining(['get', 'post']),
    );
    expect(res.body.components.securitySchemes).toHaveProperty('bearer');
    expect(paths.some((p) => !p.startsWith('/api'))).toBe(false);
    const html = await request(t.http).get('/api/docs').expect(200);
    expect(html.text).toContain('swagger');
  });

  it('serves the health check', async () => {
    const res = await request(t.http).get('/api/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', db: 'up' });
  });
});
