import { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { artifactPath, describeBrowser, launchBrowser, listen } from './support/browser';
import { pageProblems } from './support/page-checks';
import { linkIn, parse, SmtpSink } from './support/smtp-sink';

/** Whether the element is inside the viewport, where the reader is looking. */
function inView(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((e) => {
    const r = e.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  });
}

describeBrowser('the reader pages: valid, accessible, and what a wpDiscuz reader expects', () => {
  const sink = new SmtpSink();
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let article: TestArticle;
  const contexts: BrowserContext[] = [];

  async function open(options: Parameters<Browser['newContext']>[0] = {}) {
    const context = await browser.newContext({
      viewport: { width: 1100, height: 800 },
      ...options,
    });
    contexts.push(context);
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const console: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') {
        console.push(m.text());
      }
    });
    page.on('pageerror', (e) => console.push(String(e)));
    // Pages that answer 404 on purpose log it; a sub-resource that fails is a problem.
    page.on('response', (r) => {
      if (r.status() >= 400 && r.request().resourceType() !== 'document') {
        console.push(`${r.status()} ${r.url()}`);
      }
    });
    return {
      page,
      get console() {
        return console.filter((m) => !m.startsWith('Failed to load resource'));
      },
    };
  }

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp({ SMTP_URL: sink.url, MAIL_DISPATCHER: 'on', MAIL_POLL_MS: '100' });
    base = await listen(t);
    browser = await launchBrowser();
    article = await createArticle(t);
    const root = await postComment(t, article.slug, { authorName: 'Pinned Person' });
    await postComment(t, article.slug, { parentId: root.comment.id, authorName: 'Replier' });
    await postComment(t, article.slug, {
      authorName: 'Passage Reader',
      anchor: { blockId: article.blocks[1].id, quote: { exact: 'talks about coffee' } },
    });
    await request(t.http)
      .patch(`/api/admin/comments/${root.comment.id}`)
      .set(t.admin)
      .send({ pinned: true })
      .expect(200);
  });
  afterAll(async () => {
    for (const c of contexts) {
      await c.close().catch(() => undefined);
    }
    await browser?.close();
    await t?.close();
    await sink.stop();
  });

  it('passes html-validate (recommended) and axe (no serious or critical) on every page', async () => {
    const opened = await open();
    const page = opened.page;
    const checked: Record<string, string[]> = {};
    const check = async (name: string, path: string, status = 200) => {
      const response = await page.goto(`${base}${path}`);
      expect(response?.status(), name).toBe(status);
      await page.waitForLoadState('networkidle');
      checked[name] = await pageProblems(page, await response!.text());
    };
    await check('article', `/articles/${article.slug}`);
    await check('front page', '/');
    await check('not found', '/articles/no-such-article', 404);
    const root = await t.dataSource.query(
      "SELECT id FROM comments WHERE author_name = 'Pinned Person'",
    );
    await check('replies', `/comments/${root[0].id}/replies`);

    // The article shown again with errors in all three forms' places.
    const withErrors = await request(t.http)
      .post(`/articles/${article.slug}/comments`)
      .type('form')
      .send({ authorName: '', authorEmail: 'x', body: '' })
      .expect(400);
    await page.setContent(withErrors.text);
    checked['comment form errors'] = await pageProblems(page, withErrors.text);
    const follow = await request(t.http)
      .post(`/articles/${article.slug}/follow`)
      .type('form')
      .send({ email: 'x', kind: 'followups' })
      .expect(400);
    await page.setContent(follow.text);
    checked['follow errors'] = await pageProblems(page, follow.text);

    // Subscription pages: confirm, confirmed notice, unsubscribe, expired, newsletter notice.
    await request(t.http)
      .post(`/articles/${article.slug}/follow`)
      .type('form')
      .send({ email: 'pages@example.org', kind: 'followups' })
      .expect(303);
    const mail = await sink.waitFor('pages@example.org');
    const confirm = await linkIn(mail, '/confirm');
    await check('confirm', `${confirm.pathname}${confirm.search}`);
    // The page of an article subscription names the article and links back to it.
    expect(await page.locator(`main a[href="/articles/${article.slug}"]`).count()).toBe(2);
    await page.locator('#confirm-button').click();
    await page.waitForLoadState();
    checked['confirmed notice'] = await pageProblems(page);
    const unsubscribe = await linkIn(mail, '/unsubscribe');
    await check('unsubscribe', `${unsubscribe.pathname}${unsubscribe.search}`);
    expect(await page.locator(`main a[href="/articles/${article.slug}"]`).count()).toBe(2);
    // A notification carries one unsubscribe paragraph, not two.
    await postComment(t, article.slug, { authorName: 'Notifier' });
    await expect.poll(() => sink.to('pages@example.org').length, { timeout: 15_000 }).toBe(2);
    const note = sink.to('pages@example.org')[1];
    const parsed = await parse(note);
    expect((parsed.text ?? '').match(/Unsubscribe/g)?.length, parsed.text).toBe(1);
    expect(String(parsed.html).match(/>Unsubscribe/g)?.length).toBe(1);
    await check('expired or unknown confirm', '/confirm?token=' + 'x'.repeat(43), 404);
    const notice = await request(t.http)
      .post('/newsletter/subscribe')
      .type('form')
      .send({ email: 'notice@example.org', consent: 'true' })
      .expect(202);
    await page.setContent(notice.text);
    checked['newsletter notice'] = await pageProblems(page, notice.text);

    const all = Object.entries(checked).flatMap(([name, problems]) =>
      problems.map((p) => `${name}: ${p}`),
    );
    process.stdout.write(
      `page checks: ${Object.keys(checked).length} pages, ${all.length} findings\n`,
    );
    expect(all, all.join('\n')).toEqual([]);
    expect(opened.console).toEqual([]);
    // The checks can fail: an unlabelled field and a label-less button are caught by both.
    const broken =
      '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><main><input type="text"><button type="button"></button></main></body></html>';
    await page.setContent(broken);
    const caught = await pageProblems(page, broken);
    expect(caught.some((p) => p.startsWith('axe critical'))).toBe(true);
    expect(caught.some((p) => p.startsWith('html-validate'))).toBe(true);
  });

  it('renders /api/docs without console or CSP errors', async () => {
    const opened = await open();
    const page = opened.page;
    const response = await page.goto(`${base}/api/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('.swagger-ui .opblock').first().waitFor();
    expect(await page.locator('.swagger-ui .opblock').count()).toBeGreaterThan(30);
    expect(
      await page.locator('.swagger-ui .opblock-summary-description').first().textContent(),
    ).not.toBe('');
    await page.screenshot({ path: artifactPath('api-docs.png') });
    expect(opened.console).toEqual([]);
    // The relaxed style rule is the docs page's alone.
    const articlePage = await request(t.http).get(`/articles/${article.slug}`);
    expect(articlePage.headers['content-security-policy']).toMatch(/style-src 'self'(;|$)/);
  });

  it('works from the keyboard with a visible focus', async () => {
    const { page } = await open();
    await page.goto(`${base}/articles/${article.slug}`);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement === document.body)) {
        break; // past the last stop
      }
      const focus = await page.evaluate(() => {
        const e = document.activeElement as HTMLElement;
        const style = getComputedStyle(e);
        return {
          id: e.id || e.className || e.tagName,
          tag: e.tagName,
          visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        };
      });
      expect(focus.visible, `focus ring on ${focus.tag} ${focus.id}`).toBe(true);
      seen.add(focus.id);
    }
    for (const id of ['comment-body', 'comment-name', 'comment-email', 'comment-notify']) {
      expect(seen.has(id), id).toBe(true);
    }
  });

  it('without JavaScript, lands each flow on its feedback, in view', async () => {
    const { page } = await open({
      javaScriptEnabled: false,
      viewport: { width: 390, height: 700 },
    });
    await page.goto(`${base}/articles/${article.slug}`);
    await page.locator('#comment-name').fill('No Script');
    await page.locator('#comment-body').fill('Without scripts');
    await page.getByRole('button', { name: 'Post comment' }).click();
    await page.waitForLoadState();
    expect(new URL(page.url()).hash).toBe('#comment-form');
    expect(await inView(page, '#comment-email-error')).toBe(true);
    expect(await page.locator('#comment-email-error').textContent()).toBe(
      'Please enter your email address.',
    );
    expect(await page.locator('#comment-body').inputValue()).toBe('Without scripts');
    await page.screenshot({ path: artifactPath('reader-form-errors-phone.png') });

    await page.locator('#comment-email').fill('noscript@example.org');
    await page.getByRole('button', { name: 'Post comment' }).click();
    await page.waitForLoadState();
    const hash = new URL(page.url()).hash;
    expect(hash).toMatch(/^#comment-[0-9a-f-]{36}$/);
    expect(await inView(page, hash)).toBe(true);
    expect(await page.locator(`${hash} .comment-body`).textContent()).toContain('Without scripts');

    await page.locator(`${hash} summary`).click();
    await page.locator(`${hash} .report-form input`).fill('testing reports');
    await page.locator(`${hash} .report-form button`).click();
    await page.waitForLoadState();
    expect(await inView(page, `${hash} .comment-notice`)).toBe(true);
    expect(await page.locator(`${hash} .comment-notice`).textContent()).toContain(
      'Thank you for the report',
    );

    await page.locator('.follow summary').click();
    await page.locator('#follow-email').fill('bell@example.org');
    await page.locator('#follow-form button').click();
    await page.waitForLoadState();
    expect(await inView(page, '#follow-done')).toBe(true);
  });

  it('offers "Comment on this passage" for a touch selection on a phone, no mouse involved', async () => {
    const opened = await open({
      viewport: { width: 390, height: 844 },
      hasTouch: true,
      isMobile: true,
      deviceScaleFactor: 2,
    });
    const page = opened.page;
    await page.goto(`${base}/articles/${article.slug}`);
    let mouseEvents = 0;
    await page.exposeFunction('countMouse', () => (mouseEvents += 1));
    await page.evaluate(() => {
      for (const type of ['mousedown', 'mouseup']) {
        document.addEventListener(
          type,
          () => (window as unknown as { countMouse(): void }).countMouse(),
          true,
        );
      }
    });
    const block = page.locator(`[data-block-id="${article.blocks[0].id}"] p`);
    await block.scrollIntoViewIfNeeded();
    // A long-press selects a word and the handles extend it: the page sees selection changes only.
    await block.evaluate((p) => {
      const text = p.firstChild!;
      const range = document.createRange();
      range.setStart(text, 0);
      range.setEnd(text, Math.min(12, text.textContent!.length));
      const selection = window.getSelection()!;
      selection.removeAllRanges();
      selection.addRange(range);
    });
    const button = page.getByRole('button', { name: 'Comment on this passage' });
    await button.waitFor({ state: 'visible' });
    // Offered with no mouse event at all (a tap on the button then emulates them, as phones do).
    expect(mouseEvents).toBe(0);
    await button.tap();
    await page.locator('.passage-quote').waitFor({ state: 'visible' });
    expect(await page.locator('input[name="anchorBlockId"]').inputValue()).toBe(
      article.blocks[0].id,
    );
    await page.screenshot({ path: artifactPath('reader-passage-touch.png') });
    expect(opened.console).toEqual([]);
  });

  it('highlights commented passages in the text; a highlight opens their inline comments', async () => {
    const { page } = await open();
    await page.goto(`${base}/articles/${article.slug}`);
    const mark = page.locator(`[data-block-id="${article.blocks[1].id}"] .passage-highlight`);
    await mark.waitFor();
    expect(await mark.textContent()).toBe('talks about coffee');
    await mark.click();
    await page.waitForLoadState();
    expect(new URL(page.url()).searchParams.get('anchor')).toBe(article.blocks[1].id);
    const authors = await page.locator('.comment-list .comment-author').allTextContents();
    expect(authors).toEqual(['Passage Reader']);
  });

  it("edits and deletes one's own comment from the page, remembers name and email when asked, and adds Report to new comments", async () => {
    const opened = await open();
    const page = opened.page;
    await page.goto(`${base}/articles/${article.slug}`);
    await page.locator('#comment-remember').check({ timeout: 5000 });
    await page.locator('#comment-name').fill('Own Author');
    await page.locator('#comment-email').fill('own@example.org');
    await page.locator('#comment-body').fill('First *draft*');
    await page.getByRole('button', { name: 'Post comment' }).click();
    const posted = page.locator('.comment', { hasText: 'First draft' }).first();
    await posted.waitFor({ timeout: 5000 });
    const id = await posted.getAttribute('data-comment-id');
    const mine = page.locator(`#comment-${id}`);
    // Added by the script, yet with everything a served comment has.
    expect(await mine.locator('summary', { hasText: 'Report' }).count()).toBe(1);
    expect(await mine.locator('.avatar').textContent()).toBe('OA');

    await mine.getByRole('button', { name: 'Edit' }).click({ timeout: 5000 });
    await mine.locator('textarea').fill('Second **version**');
    await mine.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => mine.locator('.comment-body strong').textContent()).toBe('version');
    const [row] = await t.dataSource.query('SELECT body_source FROM comments WHERE id = $1', [id]);
    expect(row.body_source).toBe('Second **version**');

    // Another browser sees no edit buttons on it.
    const other = await open();
    await other.page.goto(`${base}/articles/${article.slug}`);
    await other.page.locator(`#comment-${id}`).waitFor();
    expect(await other.page.locator(`#comment-${id} .comment-edit`).count()).toBe(0);
    expect(await other.page.locator('#comment-name').inputValue()).toBe('');

    // This browser remembers the name and email it was asked to.
    await page.reload();
    expect(await page.locator('#comment-name').inputValue()).toBe('Own Author');
    expect(await page.locator('#comment-email').inputValue()).toBe('own@example.org');
    expect(await page.locator(`#comment-${id} .comment-edit`).count()).toBe(1);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator(`#comment-${id}`).getByRole('button', { name: 'Delete' }).click();
    await page.locator(`#comment-${id} .comment-placeholder`).waitFor();
    // Gone for everyone: removed, or a placeholder where it had replies.
    const gone = await t.dataSource.query('SELECT status FROM comments WHERE id = $1', [id]);
    expect(gone.filter((r: { status: string }) => r.status !== 'deleted')).toEqual([]);
    const thread = await request(t.http).get(`/api/articles/${article.slug}/comments?limit=100`);
    expect(JSON.stringify(thread.body)).not.toContain('Second');
    expect(opened.console).toEqual([]);
  });
});
