import { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { artifactPath, describeBrowser, launchBrowser, listen } from './support/browser';

/** Point 7: after posting with a "Notify of" choice, the reader is told to confirm by mail. */
describeBrowser('"Notify of" on the reader page in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    t = await createTestApp();
    base = await listen(t);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`asks the reader to confirm by mail (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
      const article = await createArticle(t);
      const context = await browser.newContext({ javaScriptEnabled });
      try {
        const page = await context.newPage();
        await page.goto(`${base}/articles/${article.slug}`);
        expect(await page.locator('#comment-confirm-mail').count()).toBe(0);
        const email = `notify-${javaScriptEnabled ? 'js' : 'plain'}@example.org`;
        await page.locator('#comment-name').fill('Nell');
        await page.locator('#comment-email').fill(email);
        await page.locator('#comment-body').fill('Tell me about replies');
        await page.locator('#comment-notify').selectOption('replies');
        if (javaScriptEnabled) {
          // Survives only if the script posts without reloading the page.
          await page.evaluate(() => {
            (window as unknown as { marker: number }).marker = 7;
          });
        }
        await page.getByRole('button', { name: 'Post comment' }).click();
        const notice = page.locator('#comment-confirm-mail');
        await notice.waitFor();
        expect(await notice.textContent()).toContain('Please check your inbox');
        if (javaScriptEnabled) {
          const marker = await page.evaluate(
            () => (window as unknown as { marker?: number }).marker,
          );
          expect(marker).toBe(7);
        }
        await page.screenshot({
          path: artifactPath(`notify-confirm-${String(javaScriptEnabled)}.png`),
        });
        const rows = await t.dataSource.query<{ kind: string; status: string }[]>(
          'SELECT kind, status FROM subscriptions WHERE email_key = $1',
          [email],
        );
        expect(rows).toEqual([{ kind: 'replies', status: 'pending' }]);
      } finally {
        await context.close();
      }
    });
  }
});
