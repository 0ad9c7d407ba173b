import { createHash } from 'node:crypto';
import request from 'supertest';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AdminTokensService } from '../src/auth/admin-tokens.service';
import { createArticle, postComment } from './factories/comments';
import { ADMIN_TOKEN, createTestApp, createEmbeddedTestApp, TestApp } from './support/app';
import { runTs } from './support/process';

/** Signs in through the form; returns the cookie header and the page's CSRF token. */
async function signIn(
  t: TestApp,
  token: string,
  ip = '198.51.100.7',
): Promise<{ cookie: string; csrf: string }> {
  const res = await request(t.http)
    .post('/admin/sign-in')
    .set('X-Forwarded-For', ip)
    .type('form')
    .send({ token, next: '/admin/queue' })
    .expect(303);
  const setCookie = res.headers['set-cookie'] as unknown as string[];
  const cookie = setCookie[0].split(';')[0];
  const page = await request(t.http).get('/admin/queue').set('Cookie', cookie).expect(200);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)![1];
  return { cookie, csrf };
}

async function statusOf(t: TestApp, id: string): Promise<string> {
  const [row] = await t.dataSource.query('SELECT status FROM comments WHERE id = $1', [id]);
  return (row as { status: string }).status;
}

describe('moderation console: sessions, CSRF, roles', () => {
  let t: TestApp;
  let slug: string;

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'all', TRUST_PROXY_HOPS: '1' });
    slug = (await createArticle(t)).slug;
  });
  afterAll(() => t.close());

  it('signs in with a pasted token: HttpOnly SameSite=Strict cookie, session stored only hashed', async () => {
    await request(t.http)
      .get('/admin/queue')
      .expect(303)
      .expect('Location', '/admin?next=%2Fadmin%2Fqueue');
    const form = await request(t.http).get('/admin').expect(200);
    expect(form.text).toContain('name="token"');
    const res = await request(t.http)
      .post('/admin/sign-in')
      .type('form')
      .send({ token: ADMIN_TOKEN })
      .expect(303)
      .expect('Location', '/admin/queue');
    const header = (res.headers['set-cookie'] as unknown as string[])[0];
    expect(header).toMatch(
      /^mg_console=mgses_[\w-]{43}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    const value = header.split(';')[0].split('=')[1];
    const rows: { session_hash: string; token_name: string }[] = await t.dataSource.query(
      'SELECT session_hash, token_name FROM console_sessions',
    );
    expect(rows.map((r) => r.session_hash)).toContain(
      createHash('sha256').update(value).digest('hex'),
    );
    expect(JSON.stringify(rows)).not.toContain(value);
    const page = await request(t.http).get('/admin/queue').set('Cookie', `mg_console=${value}`);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('marks the cookie Secure when PUBLIC_URL is https', async () => {
    const https = await createTestApp({ PUBLIC_URL: 'https://news.example' });
    try {
      const res = await request(https.http)
        .post('/admin/sign-in')
        .type('form')
        .send({ token: ADMIN_TOKEN })
        .expect(303);
      expect((res.headers['set-cookie'] as unknown as string[])[0]).toMatch(/; Secure$/);
    } finally {
      await https.close();
    }
  });

  it('refuses a wrong token with 401 and rate-limits failures per network, not per address', async () => {
    const bad = await request(t.http)
      .post('/admin/sign-in')
      .set('X-Forwarded-For', '203.0.113.9')
      .type('form')
      .send({ token: 'not-the-token-at-all-000000' });
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('not valid');
    for (let i = 2; i <= 10; i += 1) {
      await request(t.http)
        .post('/admin/sign-in')
        .set('X-Forwarded-For', `203.0.113.${i + 10}`)
        .type('form')
        .send({ token: `wrong-token-number-${i}-xxxxxxxx` })
        .expect(401);
    }
    // The eleventh try from the same /24 is refused even with the right token.
    const limited = await request(t.http)
      .post('/admin/sign-in')
      .set('X-Forwarded-For', '203.0.113.200')
      .type('form')
      .send({ token: ADMIN_TOKEN });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another network is not affected.
    await request(t.http)
      .post('/admin/sign-in')
      .set('X-Forwarded-For', '192.0.2.1')
      .type('form')
      .send({ token: ADMIN_TOKEN })
      .expect(303);
  });

  it('refuses a write without the CSRF token, or from another site, and changes nothing', async () => {
    const { cookie, csrf } = await signIn(t, ADMIN_TOKEN);
    const id = (await postComment(t, slug)).comment.id;
    const noToken = await request(t.http)
      .post(`/admin/comments/${id}/decide`)
      .set('Cookie', cookie)
      .type('form')
      .send({ decision: 'trash' });
    expect(noToken.status).toBe(403);
    const wrongToken = await request(t.http)
      .post(`/admin/comments/${id}/decide`)
      .set('Cookie', cookie)
      .type('form')
      .send({ decision: 'trash', _csrf: `${csrf.slice(0, -2)}xx` });
    expect(wrongToken.status).toBe(403);
    const crossSite = await request(t.http)
      .post(`/admin/comments/${id}/decide`)
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'cross-site')
      .type('form')
      .send({ decision: 'trash', _csrf: csrf });
    expect(crossSite.status).toBe(403);
    const foreignOrigin = await request(t.http)
      .post(`/admin/comments/${id}/decide`)
      .set('Cookie', cookie)
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ decision: 'trash', _csrf: csrf });
    expect(foreignOrigin.status).toBe(403);
    expect(await statusOf(t, id)).toBe('pending');
    // The same form from the page itself works, and is audited under the token's name.
    await request(t.http)
      .post(`/admin/comments/${id}/decide`)
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ decision: 'trash', _csrf: csrf, back: '/admin/queue?status=pending' })
      .expect(303)
      .expect('Location', '/admin/queue?status=pending');
    expect(await statusOf(t, id)).toBe('trash');
    const [event] = await t.dataSource.query(
      "SELECT actor, action FROM moderation_events WHERE comment_id = $1 AND actor = 'ADMIN_TOKEN'",
      [id],
    );
    expect(event).toEqual({ actor: 'ADMIN_TOKEN', action: 'comment.trash' });
  });

  it('a sign-in form posted from another site is refused', async () => {
    await request(t.http)
      .post('/admin/sign-in')
      .set('Sec-Fetch-Site', 'cross-site')
      .type('form')
      .send({ token: ADMIN_TOKEN })
      .expect(403);
  });

  it('sign-out ends the session for good', async () => {
    const { cookie, csrf } = await signIn(t, ADMIN_TOKEN);
    const out = await request(t.http)
      .post('/admin/sign-out')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf })
      .expect(303)
      .expect('Location', '/admin');
    expect((out.headers['set-cookie'] as unknown as string[])[0]).toContain('Max-Age=0');
    await request(t.http).get('/admin/queue').set('Cookie', cookie).expect(303);
  });

  it(
    'revoking a token through the CLI ends its sessions on the next request',
    { timeout: 60_000 },
    async () => {
      const tokens = t.app.get(AdminTokensService);
      const token = (await tokens.create('mod-rita', 'moderator'))!;
      const { cookie } = await signIn(t, token, '198.51.100.20');
      await request(t.http).get('/admin/queue').set('Cookie', cookie).expect(200);
      const sessions = await request(t.http)
        .get('/admin/sessions')
        .set('Cookie', (await signIn(t, ADMIN_TOKEN)).cookie);
      expect(sessions.text).toContain('mod-rita');
      const revoked = await runTs('src/cli/admin.ts', ['token', 'revoke', '--name', 'mod-rita'], {
        DATABASE_URL: t.databaseUrl,
      });
      expect(revoked.code).toBe(0);
      await request(t.http).get('/admin/queue').set('Cookie', cookie).expect(303);
      const listed = await request(t.http)
        .get('/admin/sessions')
        .set('Cookie', (await signIn(t, ADMIN_TOKEN)).cookie);
      expect(listed.text).not.toContain('mod-rita');
      expect(await tokens.revoke('mod-rita')).toBe(false);
    },
  );

  it('a moderator sees queue and audit only: other sections are not linked and answer 403', async () => {
    const token = (await t.app.get(AdminTokensService).create('mod-sam', 'moderator'))!;
    const { cookie, csrf } = await signIn(t, token, '198.51.100.30');
    const queue = await request(t.http).get('/admin/queue').set('Cookie', cookie).expect(200);
    expect(queue.text).toContain('href="/admin/audit"');
    for (const path of [
      'settings',
      'articles',
      'newsletter',
      'mail',
      'subscribers',
      'people',
      'sessions',
    ]) {
      expect(queue.text).not.toContain(`href="/admin/${path}"`);
      await request(t.http).get(`/admin/${path}`).set('Cookie', cookie).expect(403);
    }
    await request(t.http).get('/admin/audit').set('Cookie', cookie).expect(200);
    await request(t.http)
      .post('/admin/settings')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, mode: 'none', maxLinks: '3', reportThreshold: '3' })
      .expect(403);
  });
});

describe('moderation console: the queue', () => {
  let t: TestApp;
  let session: { cookie: string; csrf: string };
  let article: { id: string; slug: string };

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'all' });
    article = await createArticle(t, {
      body: 'The first paragraph, about tides.\n\nThe second paragraph, about the moon and the sea.',
    });
    session = await signIn(t, ADMIN_TOKEN);
  });
  afterAll(() => t.close());

  it('shows each item with reasons, reports, anchored passage, parent and the author’s other comments', async () => {
    const blocks = (await request(t.http).get(`/api/articles/${article.slug}`).expect(200)).body
      .blocks as { id: string }[];
    const parent = await postComment(t, article.slug, {
      authorName: 'Parent Poster',
      body: 'The parent says hi',
    });
    await request(t.http)
      .patch(`/api/admin/comments/${parent.comment.id}`)
      .set(t.admin)
      .send({ status: 'approved' })
      .expect(200);
    await postComment(t, article.slug, {
      authorEmail: 'repeat@example.com',
      body: 'An earlier one',
    });
    const inline = await postComment(t, article.slug, {
      authorName: 'Quoting Quinn',
      authorEmail: 'repeat@example.com',
      body: 'The moon, really?',
      anchor: { blockId: blocks[1].id, quote: { exact: 'the moon' } },
    });
    const reply = await postComment(t, article.slug, {
      parentId: parent.comment.id,
      authorName: 'Replying Rae',
      body: 'A reply with <script>alert(1)</script>',
    });
    await request(t.http)
      .post(`/api/comments/${parent.comment.id}/reports`)
      .set('X-Voter-Id', 'voter-aaaaaaaaaaaaaaaa')
      .send({ reason: 'rude & wrong' })
      .expect(202);
    const page = await request(t.http)
      .get('/admin/queue')
      .set('Cookie', session.cookie)
      .expect(200);
    expect(page.text).toContain('Quoting Quinn');
    expect(page.text).toMatch(/about <mark>the moon<\/mark> and the sea/);
    expect(page.text).toMatch(/The author’s other comments: 1 pending/);
    expect(page.text).toContain('An earlier one');
    expect(page.text).toContain('In reply to Parent Poster (approved)');
    expect(page.text).toContain('moderation mode &quot;all&quot;: every comment is held');
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain(`id="c-${reply.comment.id}"`);
    const reported = await request(t.http)
      .get('/admin/queue?status=reported')
      .set('Cookie', session.cookie)
      .expect(200);
    expect(reported.text).toContain('“rude &amp; wrong”');
    expect(reported.text).toMatch(/Reported <span class="count" data-count="reported">1<\/span>/);
    expect(inline.comment.id).toBeTruthy();
  });

  it('renders a queue page of 50 comments in 2 SQL statements: the session and the queue', async () => {
    for (let i = 0; i < 60; i += 1) {
      await postComment(t, article.slug, { authorEmail: `person${i % 7}@example.com` });
    }
    const spy = vi.spyOn(PostgresQueryRunner.prototype, 'query');
    try {
      const page = await request(t.http)
        .get('/admin/queue')
        .set('Cookie', session.cookie)
        .expect(200);
      expect(page.text.match(/class="queue-item /g)).toHaveLength(50);
      expect(page.text).toContain('rel="next"');
      const statements = spy.mock.calls.map((c) => String(c[0]));
      expect(statements).toHaveLength(2);
      expect(statements[0]).toContain('console_sessions');
      expect(statements[1]).toContain('comment_reports');
      process.stdout.write(`console queue page of 50: ${statements.length} SQL statements\n`);
    } finally {
      spy.mockRestore();
    }
  });

  it('pages with the cursor and filters by article; a bad cursor or slug is a 400', async () => {
    const first = await request(t.http)
      .get('/admin/queue')
      .set('Cookie', session.cookie)
      .expect(200);
    const next = /rel="next" href="([^"]+)"/
      .exec(first.text)![1]
      .replace(/&amp;/g, '&')
      .replace(/&#x3D;/g, '=');
    const second = await request(t.http).get(next).set('Cookie', session.cookie).expect(200);
    const ids = (html: string) => [...html.matchAll(/data-id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(second.text).some((id) => ids(first.text).includes(id))).toBe(false);
    expect(ids(first.text).length + ids(second.text).length).toBeGreaterThan(60);
    const other = await createArticle(t);
    const only = await postComment(t, other.slug);
    const filtered = await request(t.http)
      .get(`/admin/queue?status=pending&article=${other.slug}`)
      .set('Cookie', session.cookie)
      .expect(200);
    expect(ids(filtered.text)).toEqual([only.comment.id]);
    await request(t.http).get('/admin/queue?cursor=@@@').set('Cookie', session.cookie).expect(400);
    await request(t.http)
      .get('/admin/queue?article=Bad%20Slug')
      .set('Cookie', session.cookie)
      .expect(400);
    await request(t.http)
      .get('/admin/queue?status=everything')
      .set('Cookie', session.cookie)
      .expect(400);
  });

  it('bulk form post moves the selected comments in one decision and reports how many', async () => {
    const ids = [];
    for (let i = 0; i < 3; i += 1) {
      ids.push((await postComment(t, article.slug)).comment.id);
    }
    const res = await request(t.http)
      .post('/admin/queue/bulk')
      .set('Cookie', session.cookie)
      .type('form')
      .send(
        `_csrf=${encodeURIComponent(session.csrf)}&status=spam&back=%2Fadmin%2Fqueue&${ids.map((id) => `ids=${id}`).join('&')}`,
      )
      .expect(303);
    expect(res.headers.location).toBe('/admin/queue?done=3&to=spam');
    for (const id of ids) {
      expect(await statusOf(t, id)).toBe('spam');
    }
    const page = await request(t.http).get(res.headers.location).set('Cookie', session.cookie);
    expect(page.text).toContain('3 comments marked as spam.');
    await request(t.http)
      .post('/admin/queue/bulk')
      .set('Cookie', session.cookie)
      .type('form')
      .send({ _csrf: session.csrf, status: 'spam' })
      .expect(400);
  });

  it('with fetch, a decision answers JSON and the edit form keeps a revision', async () => {
    const id = (await postComment(t, article.slug, { body: 'Original text' })).comment.id;
    const res = await request(t.http)
      .post(`/admin/comments/${id}/decide`)
      .set('Cookie', session.cookie)
      .set('X-Requested-With', 'fetch')
      .set('X-CSRF-Token', session.csrf)
      .type('form')
      .send({ decision: 'approved' })
      .expect(200);
    expect(res.body).toEqual({ id, status: 'approved', pinned: false });
    await request(t.http)
      .post(`/admin/comments/${id}/edit`)
      .set('Cookie', session.cookie)
      .type('form')
      .send({ _csrf: session.csrf, body: 'Edited **text**', reason: 'typo' })
      .expect(303);
    const detail = await request(t.http)
      .get(`/admin/comments/${id}`)
      .set('Cookie', session.cookie)
      .expect(200);
    expect(detail.text).toContain('<strong>text</strong>');
    expect(detail.text).toContain('comment.edit');
    const blank = await request(t.http)
      .post(`/admin/comments/${id}/edit`)
      .set('Cookie', session.cookie)
      .type('form')
      .send({ _csrf: session.csrf, body: '   ' });
    expect(blank.status).toBe(422);
    expect(blank.text).toContain('body must not be blank');
    await request(t.http)
      .get('/admin/comments/not-a-uuid')
      .set('Cookie', session.cookie)
      .expect(404);
  });

  it('the event stream sends fresh counts when another path (the API) changes the queue', async () => {
    const { listen } = await import('./support/browser');
    const base = await listen(t);
    const controller = new AbortController();
    const res = await fetch(`${base}/admin/queue/stream`, {
      headers: { Cookie: session.cookie },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextCounts = async (): Promise<{ pending: number }> => {
      for (;;) {
        const event = /event: counts\ndata: (.+)\n\n/.exec(buffer);
        if (event) {
          buffer = buffer.slice(event.index + event[0].length);
          return JSON.parse(event[1]) as { pending: number };
        }
        const { value } = await reader.read();
        buffer += decoder.decode(value);
      }
    };
    const before = await nextCounts();
    const id = (await postComment(t, article.slug)).comment.id;
    const afterPost = await nextCounts();
    expect(afterPost.pending).toBe(before.pending + 1);
    await request(t.http)
      .patch(`/api/admin/comments/${id}`)
      .set(t.admin)
      .send({ status: 'trash' })
      .expect(200);
    const afterTrash = await nextCounts();
    expect(afterTrash.pending).toBe(before.pending);
    controller.abort();
  });
});

describe('moderation console: admin sections', () => {
  let t: TestApp;
  let session: { cookie: string; csrf: string };
  const post = (path: string, form: Record<string, string>) =>
    request(t.http)
      .post(path)
      .set('Cookie', session.cookie)
      .type('form')
      .send({ _csrf: session.csrf, ...form });

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'all' });
    session = await signIn(t, ADMIN_TOKEN);
  });
  afterAll(() => t.close());

  it('creates and edits an article through the forms, keeping the ids of unchanged paragraphs', async () => {
    const created = await post('/admin/articles', {
      title: 'Console article',
      body: 'First paragraph.\n\nSecond paragraph.',
      status: 'draft',
      commentsOpen: 'on',
    }).expect(303);
    expect(created.headers.location).toBe('/admin/articles/console-article');
    const before = (await request(t.http).get('/api/admin/articles/console-article').set(t.admin))
      .body as {
      blocks: { id: string; text: string }[];
    };
    const edit = await request(t.http)
      .get('/admin/articles/console-article')
      .set('Cookie', session.cookie)
      .expect(200);
    expect(edit.text).toContain('Second paragraph.</textarea>');
    await post('/admin/articles/console-article', {
      action: 'save',
      title: 'Console article',
      body: 'A new opening.\n\nFirst paragraph.\n\nSecond paragraph.',
      commentsOpen: 'on',
    }).expect(303);
    const after = (await request(t.http).get('/api/admin/articles/console-article').set(t.admin))
      .body as {
      blocks: { id: string; text: string }[];
      status: string;
      commentsOpen: boolean;
    };
    expect(after.blocks.map((b) => b.text)).toEqual([
      'A new opening.',
      'First paragraph.',
      'Second paragraph.',
    ]);
    expect(after.blocks.slice(1).map((b) => b.id)).toEqual(before.blocks.map((b) => b.id));
    await post('/admin/articles/console-article', { action: 'publish' }).expect(303);
    await post('/admin/articles/console-article', { action: 'close-comments' }).expect(303);
    const published = (await request(t.http).get('/api/articles/console-article').expect(200))
      .body as {
      commentsOpen: boolean;
    };
    expect(published.commentsOpen).toBe(false);
    await post('/admin/articles/console-article', { action: 'unpublish' }).expect(303);
    await request(t.http).get('/api/articles/console-article').expect(404);
    const bad = await post('/admin/articles', { title: 'x'.repeat(301), body: 'Body.' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('title');
    await post('/admin/articles/console-article', { action: 'explode' }).expect(400);
    await request(t.http)
      .get('/admin/articles/no-such-article')
      .set('Cookie', session.cookie)
      .expect(404);
  });

  it('saves the settings form as the API would and refuses bad values with the form', async () => {
    const bad = await post('/admin/settings', {
      mode: 'sometimes',
      maxLinks: '3',
      reportThreshold: '3',
      blockedIps: 'not-an-ip',
    });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('blockedIps must hold IP addresses or CIDR ranges');
    expect(bad.text).toContain('not-an-ip</textarea>');
    await post('/admin/settings', {
      mode: 'first',
      maxLinks: '2',
      holdWords: 'casino\r\n\r\nlottery',
      blockWords: '',
      blockedEmails: '*@spam.example',
      blockedIps: '10.0.0.0/8',
      reportThreshold: '4',
      moderatorEmails: 'desk@news.example',
    })
      .expect(303)
      .expect('Location', '/admin/settings?saved=1');
    const settings = (await request(t.http).get('/api/admin/settings/moderation').set(t.admin))
      .body as Record<string, unknown>;
    expect(settings).toMatchObject({
      mode: 'first',
      maxLinks: 2,
      holdWords: ['casino', 'lottery'],
      blockedEmails: ['*@spam.example'],
      blockedIps: ['10.0.0.0/8'],
      reportThreshold: 4,
      moderatorEmails: ['desk@news.example'],
    });
    const audit = await request(t.http)
      .get('/admin/audit?action=settings.update')
      .set('Cookie', session.cookie)
      .expect(200);
    expect(audit.text).toContain('settings.update');
  });

  it('filters the site-wide audit log by actor and action, newest first', async () => {
    const article = await createArticle(t);
    const ids = [
      (await postComment(t, article.slug)).comment.id,
      (await postComment(t, article.slug)).comment.id,
    ];
    await post(`/admin/comments/${ids[0]}/decide`, { decision: 'approved' }).expect(303);
    await post(`/admin/comments/${ids[1]}/decide`, {
      decision: 'spam',
      reason: 'selling pills',
    }).expect(303);
    const all = await request(t.http)
      .get('/admin/audit?actor=ADMIN_TOKEN')
      .set('Cookie', session.cookie)
      .expect(200);
    const table = all.text.slice(all.text.indexOf('id="audit-table"'));
    const spamAt = table.indexOf('comment.spam');
    const approveAt = table.indexOf('comment.approve');
    expect(spamAt).toBeGreaterThan(0);
    expect(approveAt).toBeGreaterThan(spamAt);
    expect(all.text).toContain('selling pills');
    const spamOnly = await request(t.http)
      .get('/admin/audit?action=comment.spam')
      .set('Cookie', session.cookie)
      .expect(200);
    expect(spamOnly.text).not.toContain('comment.approve</td>');
    const one = await request(t.http)
      .get(`/admin/audit?comment=${ids[0]}`)
      .set('Cookie', session.cookie)
      .expect(200);
    expect(one.text).toContain(`href="/admin/comments/${ids[0]}"`);
    expect(one.text).not.toContain(`href="/admin/comments/${ids[1]}"`);
    await request(t.http).get('/admin/audit?before=abc').set('Cookie', session.cookie).expect(400);
  });

  it('retries a dead mail from the outbox page, lists subscribers, exports and erases a person', async () => {
    const article = await createArticle(t);
    await postComment(t, article.slug, { authorEmail: 'gone@example.org', notify: 'replies' });
    const [mail] = await t.dataSource.query(
      "UPDATE email_outbox SET status = 'dead', last_error = '550 no such user' WHERE lower(recipient) = 'gone@example.org' RETURNING id",
    );
    const id =
      ((mail as unknown[])[0] as { id: string } | undefined)?.id ?? (mail as { id: string }).id;
    const dead = await request(t.http)
      .get('/admin/mail?status=dead')
      .set('Cookie', session.cookie)
      .expect(200);
    expect(dead.text).toContain('550 no such user');
    expect(dead.text).toContain(`action="/admin/mail/${id}/retry"`);
    await post(`/admin/mail/${id}/retry`, {}).expect(303);
    const [row] = await t.dataSource.query('SELECT status FROM email_outbox WHERE id = $1', [id]);
    expect((row as { status: string }).status).toBe('queued');
    const subscribers = await request(t.http)
      .get('/admin/subscribers?kind=replies')
      .set('Cookie', session.cookie)
      .expect(200);
    expect(subscribers.text).toContain('gone@example.org');
    await request(t.http)
      .get('/admin/subscribers?kind=everyone')
      .set('Cookie', session.cookie)
      .expect(400);

    const exported = await post('/admin/people/export', { email: 'gone@example.org' }).expect(200);
    expect(exported.headers['content-disposition']).toContain('attachment');
    expect(JSON.parse(exported.text)).toHaveProperty('comments');
    await post('/admin/people/erase', { email: 'gone@example.org' }).expect(400);
    await post('/admin/people/export', { email: 'not an address' }).expect(400);
    await post('/admin/people/erase', { email: 'gone@example.org', confirm: 'yes' })
      .expect(303)
      .expect('Location', '/admin/people?erased=1');
    const [left] = await t.dataSource.query(
      "SELECT count(*)::integer AS n FROM subscriptions WHERE email = 'gone@example.org'",
    );
    expect((left as { n: number }).n).toBe(0);
  });
});

describe('moderation console on embedded PGlite', () => {
  it('signs in, shows the queue and streams live counts', { timeout: 120_000 }, async () => {
    const dir = `/tmp/marginalia-console-pglite-${process.pid}-${Date.now()}`;
    const t = await createEmbeddedTestApp(dir, { MODERATION: 'all' });
    try {
      const article = await createArticle(t as TestApp);
      const { cookie } = await signIn(t as TestApp, ADMIN_TOKEN);
      const { listen } = await import('./support/browser');
      const base = await listen(t as TestApp);
      const controller = new AbortController();
      const res = await fetch(`${base}/admin/queue/stream`, {
        headers: { Cookie: cookie },
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      const nextCounts = async (): Promise<{ pending: number }> => {
        for (;;) {
          const event = /event: counts\ndata: (.+)\n\n/.exec(buffer);
          if (event) {
            buffer = buffer.slice(event.index + event[0].length);
            return JSON.parse(event[1]) as { pending: number };
          }
          const { value } = await reader.read();
          buffer += decoder.decode(value);
        }
      };
      expect((await nextCounts()).pending).toBe(0);
      const posted = await postComment(t as TestApp, article.slug);
      expect((await nextCounts()).pending).toBe(1);
      controller.abort();
      const page = await request(t.http).get('/admin/queue').set('Cookie', cookie).expect(200);
      expect(page.text).toContain(`id="c-${posted.comment.id}"`);
    } finally {
      await t.close();
    }
  });
});
