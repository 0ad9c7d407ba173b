import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AdminTokensService } from '../src/auth/admin-tokens.service';
import { createArticle } from './factories/comments';
import { insertPendingComments } from './factories/moderation';
import { ADMIN_TOKEN, createTestApp, TestApp } from './support/app';
import { artifactPath, describeBrowser, launchBrowser, listen } from './support/browser';
import { consoleAxeViolations, consoleHtmlProblems } from './support/console-page-checks';
import { linkIn, parse, SmtpSink } from './support/smtp-sink';

const SUBSCRIBERS = ['ada@example.org', 'bo@example.org', 'cy@example.org'];

async function statuses(t: TestApp, ids: string[]): Promise<Record<string, string>> {
  const rows: { id: string; status: string }[] = await t.dataSource.query(
    'SELECT id, status FROM comments WHERE id = ANY($1::uuid[])',
    [ids],
  );
  return Object.fromEntries(rows.map((r) => [r.id, r.status]));
}

async function signInPage(context: BrowserContext, base: string, token: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/admin/queue`);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`${base}/admin/queue`), page.click('#sign-in')]);
  return page;
}

describeBrowser('moderation console in Chromium', () => {
  const sink = new SmtpSink();
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let article: { id: string; slug: string };
  let moderatorToken: string;

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp({
      MODERATION: 'all',
      SMTP_URL: sink.url,
      MAIL_DISPATCHER: 'on',
      MAIL_POLL_MS: '100',
    });
    base = await listen(t);
    browser = await launchBrowser();
    article = await createArticle(t);
    moderatorToken = (await t.app.get(AdminTokensService).create('mod-kim', 'moderator'))!;
    for (const email of SUBSCRIBERS) {
      await request(t.http)
        .post('/api/newsletter/subscriptions')
        .send({ email, consent: true })
        .expect(202);
      const token = (await linkIn(await sink.waitFor(email), '/confirm')).searchParams.get('token');
      await request(t.http).post('/confirm').type('form').send({ token }).expect(200);
    }
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sink.stop();
  });

  it('signs in, works 30 with the keyboard, bulk-trashes 10, edits settings, sends a newsletter, signs out', async () => {
    await insertPendingComments(t, article.id, 40);
    const context = await browser.newContext();
    const page = await signInPage(context, base, ADMIN_TOKEN);
    const order = await page
      .locator('.queue-item')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-id')!));
    expect(order).toHaveLength(40);
    // The live counts arrive over the event stream.
    await page.waitForSelector('html[data-live="on"]');
    await expect.poll(() => page.textContent('[data-count="pending"]')).toBe('40');

    // j/k move the focus; the first item starts current.
    await page.keyboard.press('j');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe(`c-${order[1]}`);
    await page.keyboard.press('k');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe(`c-${order[0]}`);

    const keys = ['a', 's', 't'];
    for (let i = 0; i < 30; i += 1) {
      await page.keyboard.press(keys[i % 3]);
      await expect.poll(() => page.locator('.queue-item.decided').count()).toBe(i + 1);
      // The next item takes focus.
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.id))
        .toBe(`c-${order[i + 1]}`);
    }
    const worked = await statuses(t, order.slice(0, 30));
    order.slice(0, 30).forEach((id, i) => {
      expect(worked[id], `item ${i + 1}`).toBe(['approved', 'spam', 'trash'][i % 3]);
    });
    await page.screenshot({ path: artifactPath('console-queue-worked.png'), fullPage: false });

    // Bulk: select the other ten with x (moving with j) and trash them at once.
    for (let i = 0; i < 10; i += 1) {
      await page.keyboard.press('x');
      if (i < 9) {
        await page.keyboard.press('j');
      }
    }
    expect(await page.locator('input.select:checked').count()).toBe(10);
    await page.click('#bulk-trash');
    await expect.poll(() => page.textContent('#queue-status')).toBe('Trashed: 10 comments.');
    expect(Object.values(await statuses(t, order.slice(30)))).toEqual(Array(10).fill('trash'));
    await expect.poll(() => page.textContent('[data-count="pending"]')).toBe('0');
    const bulkAudit: { n: number }[] = await t.dataSource.query(
      `SELECT count(*)::integer AS n FROM moderation_events
       WHERE actor = 'ADMIN_TOKEN' AND details->>'bulk' = 'true'`,
    );
    expect(bulkAudit[0].n).toBe(10);

    // Settings.
    await page.click('a[href="/admin/settings"]');
    await page.fill('#s-holdWords', 'casino\nfree money');
    await page.fill('#s-reportThreshold', '5');
    await Promise.all([
      page.waitForURL(`${base}/admin/settings?saved=1`),
      page.click('#save-settings'),
    ]);
    expect(await page.textContent('#settings-saved')).toBe('Saved.');
    const settings = (await request(t.http).get('/api/admin/settings/moderation').set(t.admin))
      .body as {
      holdWords: string[];
      reportThreshold: number;
    };
    expect(settings.holdWords).toEqual(['casino', 'free money']);
    expect(settings.reportThreshold).toBe(5);

    // Newsletter: compose, preview (the real HTML and text), confirm, send, watch it go out.
    await page.click('a[href="/admin/newsletter"]');
    await page.fill('#n-subject', 'The week in tides');
    await page.fill('#n-body', 'Hello readers,\n\nthe **moon** was busy this week.');
    await Promise.all([
      page.waitForURL(`${base}/admin/newsletter/preview`),
      page.click('#preview-button'),
    ]);
    expect(await page.textContent('#send-button')).toBe('Send to 3 subscribers');
    expect(await page.textContent('#preview-text')).toContain('the **moon** was busy');
    const frame = page.frame({ name: 'preview-frame' })!;
    await expect
      .poll(async () => (await frame.content()).includes('<strong>moon</strong>'))
      .toBe(true);
    await page.screenshot({ path: artifactPath('console-newsletter-preview.png'), fullPage: true });
    // Ticked from the keyboard: the frame's late load can shift the page under a mouse click.
    await page.focus('#send-confirm');
    await page.keyboard.press(' ');
    expect(await page.isChecked('#send-confirm')).toBe(true);
    await Promise.all([
      page.waitForURL(/\/admin\/newsletter\/issues\//),
      page.click('#send-button'),
    ]);
    await expect.poll(() => page.textContent('#issue-state'), { timeout: 20_000 }).toBe('Done.');
    expect(await page.textContent('td[data-status="sent"]')).toBe('3');
    for (const email of SUBSCRIBERS) {
      const mails = sink.to(email);
      const parsed = await Promise.all(mails.map((m) => parse(m)));
      expect(parsed.map((p) => p.subject)).toContain('The week in tides');
    }

    // Sign out: the session is over, the queue asks for a token again.
    await Promise.all([page.waitForURL(`${base}/admin`), page.click('#sign-out')]);
    await page.goto(`${base}/admin/queue`);
    expect(page.url()).toBe(`${base}/admin?next=%2Fadmin%2Fqueue`);
    expect(await page.isVisible('#token')).toBe(true);
    await context.close();
  }, 120_000);

  it('refuses a form posted from another site, and changes nothing', async () => {
    const [id] = await insertPendingComments(t, article.id, 1);
    const context = await browser.newContext();
    await signInPage(context, base, ADMIN_TOKEN);
    const attacker: Server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<!doctype html><form id="f" method="post" action="${base}/admin/comments/${id}/decide">
        <input name="decision" value="trash"><input name="_csrf" value="guess"></form>
        <script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = attacker.address() as AddressInfo;
      const page = await context.newPage();
      const answered = page.waitForResponse((r) => r.url().includes('/decide'));
      // "localhost" is another site than "127.0.0.1" for the browser.
      await page.goto(`http://localhost:${port}/`);
      const response = await answered;
      expect([303, 403]).toContain(response.status());
      await page.waitForLoadState();
      expect((await statuses(t, [id]))[id]).toBe('pending');
    } finally {
      attacker.close();
      await context.close();
    }
  });

  it('a moderator does not see settings and gets 403 there', async () => {
    const context = await browser.newContext();
    const page = await signInPage(context, base, moderatorToken);
    expect(await page.locator('nav a[href="/admin/settings"]').count()).toBe(0);
    expect(await page.locator('nav a[href="/admin/audit"]').count()).toBe(1);
    const response = await page.goto(`${base}/admin/settings`);
    expect(response?.status()).toBe(403);
    expect(await page.textContent('#error-message')).toBe(
      'the moderator role may not use this page',
    );
    expect(await consoleHtmlProblems(await response!.text())).toEqual([]);
    expect(await consoleAxeViolations(page)).toEqual([]);
    await context.close();
  });

  it('every page passes html-validate and axe-core, and the queue fits a phone', async () => {
    const [id] = await insertPendingComments(t, article.id, 1);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await signInPage(context, base, ADMIN_TOKEN);
    const cookie = (await context.cookies()).find((c) => c.name === 'mg_console')!;
    const [issue] = await t.dataSource.query('SELECT id FROM newsletter_issues LIMIT 1');
    const paths = [
      '/admin/queue',
      '/admin/queue?status=trash',
      `/admin/comments/${id}`,
      '/admin/audit',
      '/admin/articles',
      '/admin/articles/new',
      `/admin/articles/${article.slug}`,
      '/admin/settings',
      '/admin/newsletter',
      ...(issue ? [`/admin/newsletter/issues/${(issue as { id: string }).id}`] : []),
      '/admin/mail',
      '/admin/subscribers',
      '/admin/people',
      '/admin/sessions',
    ];
    const problems: Record<string, string[]> = {};
    for (const path of paths) {
      const html = (
        await request(t.http).get(path).set('Cookie', `mg_console=${cookie.value}`).expect(200)
      ).text;
      await page.goto(`${base}${path}`);
      const found = [...(await consoleHtmlProblems(html)), ...(await consoleAxeViolations(page))];
      if (found.length) {
        problems[path] = found;
      }
    }
    const signIn = (await request(t.http).get('/admin').expect(200)).text;
    const signInProblems = await consoleHtmlProblems(signIn);
    if (signInProblems.length) {
      problems['/admin'] = signInProblems;
    }
    expect(problems).toEqual({});
    await page.goto(`${base}/admin/queue`);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: artifactPath('console-queue-phone.png'), fullPage: false });
    await context.close();
  }, 90_000);
});
