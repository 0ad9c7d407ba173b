import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser } from 'playwright-core';
import { createTestApp, TestApp } from '../support/app';
import { artifactPath, describeBrowser, launchBrowser, listen } from '../support/browser';
import { linkIn, SmtpSink } from '../support/smtp-sink';

const SEED_SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

describeBrowser('newsletter box, confirm and unsubscribe pages in Chromium', () => {
  const sink = new SmtpSink();
  let t: TestApp;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp({
      SMTP_URL: sink.url,
      MAIL_DISPATCHER: 'on',
      MAIL_POLL_MS: '100',
    });
    base = await listen(t);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sink.stop();
  });

  it('signs up from the article page, then confirms and unsubscribes through the pages', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Every script and stylesheet loads (the browser asks for a favicon we do not have).
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) {
        errors.push(`${r.status()} ${r.url()}`);
      }
    });
    await page.goto(`${base}/articles/${SEED_SLUG}`);
    const box = page.locator('aside#newsletter');
    await expect(box.locator('h2').textContent()).resolves.toBe('Subscribe to our newsletter');
    await expect(box.textContent()).resolves.toContain(
      'Sign up here to get the latest news, updates and special offers delivered directly to your inbox.',
    );

    // Submitting without consent is stopped in the browser, with a visible reason.
    await box.locator('input[type=email]').fill('reader@example.org');
    await box.locator('button[type=submit]').click();
    await expect(
      box.locator('input[name=consent]').evaluate((e: HTMLInputElement) => e.validity.valid),
    ).resolves.toBe(false);

    await box.locator('input[name=consent]').check();
    await box.locator('button[type=submit]').click();
    const status = box.locator('.newsletter-status');
    await status.waitFor({ state: 'visible' });
    await expect(status.textContent()).resolves.toContain('check your inbox');
    // The answer came from the API without leaving the page.
    expect(page.url()).toBe(`${base}/articles/${SEED_SLUG}`);
    await page.screenshot({ path: artifactPath('newsletter-box-answer.png'), fullPage: false });

    const mail = await sink.waitFor('reader@example.org');
    const confirm = await linkIn(mail, '/confirm');
    await page.goto(`${base}${confirm.pathname}${confirm.search}`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Confirm your subscription');
    const before = await t.dataSource.query(
      "SELECT status FROM subscriptions WHERE email_key = 'reader@example.org'",
    );
    expect(before[0].status).toBe('pending');
    await page.screenshot({ path: artifactPath('newsletter-confirm-page.png') });
    await page.locator('#confirm-button').click();
    await page.waitForLoadState();
    await expect(page.locator('h1').textContent()).resolves.toBe('You are subscribed');
    const after = await t.dataSource.query(
      "SELECT status FROM subscriptions WHERE email_key = 'reader@example.org'",
    );
    expect(after[0].status).toBe('confirmed');

    const unsubscribe = await linkIn(mail, '/unsubscribe');
    await page.goto(`${base}${unsubscribe.pathname}${unsubscribe.search}`);
    await page.locator('#unsubscribe-button').click();
    await page.waitForLoadState();
    await expect(page.locator('h1').textContent()).resolves.toBe('Unsubscribed');
    await page.screenshot({ path: artifactPath('newsletter-unsubscribed-page.png') });
    const final = await t.dataSource.query(
      "SELECT status FROM subscriptions WHERE email_key = 'reader@example.org'",
    );
    expect(final[0].status).toBe('unsubscribed');
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();
  });

  it('works without JavaScript: the form posts to a page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/articles/${SEED_SLUG}`);
    const box = page.locator('aside#newsletter');
    await box.locator('input[type=email]').fill('no-script@example.org');
    await box.locator('input[name=consent]').check();
    await box.locator('button[type=submit]').click();
    await page.waitForLoadState();
    // Back on the article, scrolled to the box, which shows the outcome.
    expect(page.url()).toBe(`${base}/articles/${SEED_SLUG}?subscribed=1#newsletter`);
    const done = page.locator('#newsletter-done');
    await expect(done.textContent()).resolves.toContain('check your inbox');
    await expect(done.isVisible()).resolves.toBe(true);
    await expect(
      done.evaluate((e) => {
        const r = e.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight;
      }),
    ).resolves.toBe(true);
    await sink.waitFor('no-script@example.org');
    await context.close();
  });
});
