import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { OpenApiConformance } from './support/openapi-conformance';
import { linkIn, SmtpSink } from './support/smtp-sink';

type Json = Record<string, unknown>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('the OpenAPI document', () => {
  const sink = new SmtpSink();
  let t: TestApp;
  let doc: Json;
  let conformance: OpenApiConformance;
  let article: TestArticle;
  const problems: string[] = [];

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp({
      SMTP_URL: sink.url,
      MAIL_DISPATCHER: 'on',
      MAIL_POLL_MS: '100',
      // A receiver on this machine may be registered (never reached: no dispatcher runs here).
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      IMPORT_MAX_MB: '1',
    });
    doc = (await request(t.http).get('/api/docs-json').expect(200)).body as Json;
    conformance = new OpenApiConformance(doc);
    article = await createArticle(t);
  });
  afterAll(async () => {
    await t?.close();
    await sink.stop();
  });

  function operations(): [string, string, Json][] {
    return Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(
      ([path, item]) =>
        Object.entries(item)
          .filter(([method]) => METHODS.includes(method))
          .map(([method, op]) => [method, path, op] as [string, string, Json]),
    );
  }

  /** One real request; its answer is checked against the document. */
  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    let req = request(t.http)[method as 'get'](path).set(headers);
    if (body !== undefined) {
      req = req.send(body as object);
    }
    const res = await req;
    problems.push(...conformance.problems(method, path, res));
    return res;
  }

  it('is a valid OpenAPI document', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every operation: summary, description, module tag, parameters, every status with a schema', () => {
    const tags = (doc.tags as { name: string }[]).map((tag) => tag.name);
    expect(tags).toEqual(
      expect.arrayContaining(['articles', 'comments', 'moderation', 'subscriptions', 'newsletter']),
    );
    const missing: string[] = [];
    for (const [method, path, op] of operations()) {
      const name = `${method} ${path}`;
      if (!op.summary || !op.description) {
        missing.push(`${name}: summary/description`);
      }
      const opTags = op.tags as string[];
      if (opTags?.length !== 1 || !tags.includes(opTags[0])) {
        missing.push(`${name}: module tag`);
      }
      const responses = op.responses as Record<string, Json>;
      if (!responses['503']) {
        missing.push(`${name}: 503`);
      }
      for (const [status, response] of Object.entries(responses)) {
        if (status !== '204' && status !== '202' && !response.content) {
          missing.push(`${name} ${status}: no schema`);
        }
      }
      if (['post', 'put', 'patch'].includes(method) && !op.requestBody) {
        if (!/retry$/.test(path)) {
          missing.push(`${name}: request body`);
        }
      }
      if (path.startsWith('/api/admin') && !responses['401']) {
        missing.push(`${name}: 401`);
      }
    }
    expect(missing).toEqual([]);
    const thread = (doc.paths as Record<string, Record<string, Json>>)[
      '/api/articles/{slug}/comments'
    ].get;
    const names = (thread.parameters as { name: string }[]).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['slug', 'sort', 'anchor', 'limit', 'cursor']));
    const scheme = (doc.components as { securitySchemes: Record<string, Json> }).securitySchemes
      .bearer;
    expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(scheme.bearerFormat).toBeUndefined();
    expect(String(scheme.description)).toMatch(/opaque/);
  });

  it('matches what the API really answers, operation by operation, errors included', async () => {
    const admin = t.admin;
    const slug = article.slug;
    // Registered first, so the comments posted below queue deliveries to list at the end.
    const hook = await call(
      'post',
      '/api/admin/webhooks',
      { url: 'http://127.0.0.1:9/hook', events: ['comment.created'], description: 'Doc' },
      admin,
    );
    await call('post', '/api/admin/webhooks', { url: 'ftp://example.org/', events: ['x'] }, admin);
    await call(
      'post',
      '/api/admin/webhooks',
      { url: 'http://10.0.0.1/hook', events: ['comment.created'] },
      admin,
    );
    await call('get', '/api/health');
    await call('get', '/api/health/live');
    await call('get', '/api/articles?limit=1');
    await call('get', `/api/articles/${slug}`);
    await call('get', '/api/articles/no-such-article');
    await call('get', '/api/admin/articles?limit=2', undefined, admin);
    await call('get', '/api/admin/articles');
    const created = await call(
      'post',
      '/api/admin/articles',
      { title: 'Doc check', body: 'One.\n\nTwo.', status: 'published' },
      admin,
    );
    await call('post', '/api/admin/articles', { title: '' }, admin);
    await call('get', `/api/admin/articles/${created.body.slug}`, undefined, admin);
    await call('patch', `/api/admin/articles/${created.body.slug}`, { summary: 'S' }, admin);

    const posted = await call('post', `/api/articles/${slug}/comments`, {
      authorName: 'Doc',
      authorEmail: 'doc@example.org',
      body: 'Checked against the document',
      anchor: {
        blockId: article.blocks[0].id,
        quote: { exact: article.blocks[0].text.slice(0, 8) },
      },
    });
    const id = posted.body.comment.id as string;
    const token = { 'X-Edit-Token': posted.body.editToken as string };
    await call('post', `/api/articles/${slug}/comments`, { authorName: 'Doc' });
    const reply = await call('post', `/api/articles/${slug}/comments`, {
      authorName: 'Re',
      authorEmail: 're@example.org',
      body: 'A reply',
      parentId: id,
    });
    await call('get', `/api/articles/${slug}/comments?sort=top&limit=5`);
    await call('get', `/api/articles/${slug}/comments?anchor=inline`);
    await call('get', `/api/articles/${slug}/comments/count`);
    await call('post', '/api/comments/counts', { slugs: [slug, 'unknown'] });
    await call('get', `/api/comments/${id}/replies?limit=10`);
    await call('get', `/api/comments/${reply.body.comment.id}`, undefined, {
      'X-Edit-Token': reply.body.editToken,
    });
    await call('get', `/api/comments/${id}`, undefined, { 'X-Edit-Token': 'cet_wrong' });
    const voter = { 'X-Voter-Id': 'voter-for-the-doc-0001' };
    await call('put', `/api/comments/${id}/vote`, { value: 1 }, voter);
    await call('put', `/api/comments/${id}/vote`, { value: 7 }, voter);
    await call('post', `/api/comments/${id}/reports`, { reason: 'checking' }, voter);
    await call(
      'patch',
      `/api/comments/${reply.body.comment.id}`,
      { body: 'Edited' },
      {
        'X-Edit-Token': reply.body.editToken,
      },
    );
    await call('patch', `/api/comments/${id}`, { body: 'Has replies' }, token);
    await call('delete', `/api/comments/${reply.body.comment.id}`, undefined, {
      'X-Edit-Token': reply.body.editToken,
    });

    await call('get', '/api/admin/comments?status=reported', undefined, admin);
    await call('get', `/api/admin/comments/${id}`, undefined, admin);
    await call('patch', `/api/admin/comments/${id}`, { pinned: true }, admin);
    await call('patch', `/api/admin/comments/${id}`, {}, admin);
    await call('get', `/api/admin/comments/${id}/events`, undefined, admin);
    await call('post', '/api/admin/comments/bulk', { ids: [id], status: 'approved' }, admin);
    await call('get', '/api/admin/settings/moderation', undefined, admin);
    await call('put', '/api/admin/settings/moderation', { maxLinks: 3 }, admin);
    const purge = await call('post', `/api/articles/${slug}/comments`, {
      authorName: 'Gone',
      authorEmail: 'gone@example.org',
      body: 'To purge',
    });
    await call('delete', `/api/admin/comments/${purge.body.comment.id}`, undefined, admin);

    await call('post', `/api/articles/${slug}/subscriptions`, {
      email: 'follow@example.org',
      kind: 'followups',
    });
    await call('post', '/api/newsletter/subscriptions', { email: 'nl@example.org', consent: true });
    await call('post', '/api/newsletter/subscriptions', { email: 'nl@example.org' });
    const confirmMail = await sink.waitFor('nl@example.org');
    const confirm = await linkIn(confirmMail, '/confirm');
    await call('post', '/api/subscriptions/confirm', { token: confirm.searchParams.get('token') });
    await call('post', '/api/subscriptions/confirm', { token: 'x'.repeat(43) });
    await call('get', '/api/admin/subscribers?kind=newsletter', undefined, admin);
    const issue = await call(
      'post',
      '/api/admin/newsletter/issues',
      { subject: 'Issue', body: 'Hello' },
      admin,
    );
    await call('get', `/api/admin/newsletter/issues/${issue.body.id}`, undefined, admin);
    await call('get', '/api/admin/emails/stats', undefined, admin);
    await expect.poll(() => sink.to('nl@example.org').length, { timeout: 15_000 }).toBe(2);
    const unsubscribe = await linkIn(sink.to('nl@example.org')[1], '/unsubscribe');
    await call('post', '/api/unsubscribe', { token: unsubscribe.searchParams.get('token') });
    // A hard bounce makes a dead mail, which an admin may send again.
    sink.refuse('bounce@example.org', 550, 'no such user');
    await call('post', '/api/newsletter/subscriptions', {
      email: 'bounce@example.org',
      consent: true,
    });
    let dead: { id: string } | undefined;
    await expect
      .poll(
        async () => {
          const list = await call('get', '/api/admin/emails?status=dead', undefined, admin);
          dead = list.body.items[0];
          return Boolean(dead);
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await call('post', `/api/admin/emails/${dead!.id}/retry`, undefined, admin);
    await call('get', '/api/admin/people/doc%40example.org/export', undefined, admin);
    await call('delete', '/api/admin/people/doc%40example.org', undefined, admin);

    await call('post', '/api/data-requests', { email: 'reader@example.org', kind: 'export' });
    await call('post', '/api/data-requests', { email: 'reader@example.org', kind: 'sell' });

    const xml = { ...admin, 'Content-Type': 'application/xml' };
    const wxr = readFileSync(join(__dirname, 'fixtures', 'import', 'wordpress.wxr.xml'), 'utf8');
    const started = await call('post', '/api/admin/imports?format=wxr&fileName=site.xml', wxr, xml);
    expect(started.status).toBe(202);
    expect(started.headers.location).toBe(`/api/admin/imports/${started.body.id}`);
    await expect
      .poll(
        async () => (await call('get', started.headers.location, undefined, admin)).body.status,
        {
          timeout: 15_000,
        },
      )
      .toBe('done');
    await call('post', '/api/admin/imports?format=blogger', wxr, xml);
    await call('post', '/api/admin/imports?format=wxr', 'hello', {
      ...admin,
      'Content-Type': 'text/plain',
    });
    await call('post', '/api/admin/imports?format=wxr', `${wxr}${' '.repeat(1024 * 1024)}`, xml);
    await call('get', '/api/admin/imports', undefined, admin);
    await call('get', `/api/admin/imports/${randomUUID()}`, undefined, admin);
    await call('get', '/api/admin/imports');

    await call('get', '/api/admin/export?format=wxr', undefined, admin);
    await call('get', '/api/admin/export?format=jsonl', undefined, admin);
    await call('get', '/api/admin/export?format=csv', undefined, admin);
    await call('get', '/api/admin/export?format=jsonl');

    const hookId = hook.body.id as string;
    await call('get', '/api/admin/webhooks', undefined, admin);
    await call('get', `/api/admin/webhooks/${hookId}`, undefined, admin);
    await call('get', '/api/admin/webhooks/not-a-uuid', undefined, admin);
    await call('get', `/api/admin/webhooks/${randomUUID()}`, undefined, admin);
    await call('patch', `/api/admin/webhooks/${hookId}`, { status: 'disabled' }, admin);
    await call('patch', `/api/admin/webhooks/${hookId}`, { status: 'asleep' }, admin);
    await call('patch', `/api/admin/webhooks/${hookId}`, { url: 'http://169.254.169.254/' }, admin);
    const deliveries = await call(
      'get',
      `/api/admin/webhooks/${hookId}/deliveries`,
      undefined,
      admin,
    );
    expect(deliveries.body.items.length).toBeGreaterThan(0);
    await call('get', `/api/admin/webhooks/${randomUUID()}/deliveries`, undefined, admin);
    await call('delete', `/api/admin/webhooks/${hookId}`, undefined, admin);
    await call('delete', `/api/admin/webhooks/${hookId}`, undefined, admin);
    await call('get', '/api/admin/webhooks');

    expect(problems).toEqual([]);
    // The error answers asked for above really came, each conforming to its documented schema.
    expect([...conformance.checked]).toEqual(
      expect.arrayContaining([
        'post /api/data-requests 400',
        'post /api/admin/imports 400',
        'post /api/admin/imports 413',
        'post /api/admin/imports 415',
        'get /api/admin/imports 401',
        'get /api/admin/imports/{id} 404',
        'get /api/admin/export 400',
        'get /api/admin/export 401',
        'post /api/admin/webhooks 400',
        'post /api/admin/webhooks 422',
        'get /api/admin/webhooks 401',
        'get /api/admin/webhooks/{id} 400',
        'get /api/admin/webhooks/{id} 404',
        'patch /api/admin/webhooks/{id} 400',
        'patch /api/admin/webhooks/{id} 422',
        'get /api/admin/webhooks/{id}/deliveries 404',
        'delete /api/admin/webhooks/{id} 404',
      ]),
    );
    // Every operation was exercised at least once with its success status.
    const succeeded = new Set(
      [...conformance.checked]
        .filter((c) => /\s2\d\d$/.test(c))
        .map((c) => c.replace(/\s\d+$/, '')),
    );
    const notExercised = operations()
      .map(([method, path]) => `${method} ${path}`)
      .filter((op) => !succeeded.has(op));
    expect(notExercised).toEqual([]);
  });
});
