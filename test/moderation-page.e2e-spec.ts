import { Browser } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createArticle, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { artifactPath, describeBrowser, launchBrowser, listen } from './support/browser';

describeBrowser('moderation on the reader page (Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'all' });
    article = await createArticle(t);
    base = await listen(t);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a held comment to its author only, and to everyone once approved; readers report', async () => {
    const author = await browser.newContext();
    const stranger = await browser.newContext();
    const mine = await author.newPage();
    const theirs = await stranger.newPage();
    const url = `${base}/articles/${article.slug}`;

    await mine.goto(url);
    await mine.fill('#comment-body', 'My *first* thoughts, for the moderators to see.');
    await mine.fill('#comment-name', 'Held Author');
    await mine.fill('#comment-email', 'held.author@example.com');
    // Posted through the API by the page script: no reload, the held comment shows in place.
    await mine.click('.comment-submit');
    const held = mine.locator('.comment-held');
    await held.waitFor();
    expect(await held.locator('.comment-held-label').textContent()).toBe('Awaiting moderation');
    expect(await held.locator('.comment-body em').textContent()).toBe('first');
    await mine.screenshot({
      path: artifactPath('moderation-held-own-browser.png'),
      fullPage: true,
    });

    // Still there on a later visit by the same browser...
    await mine.goto(url);
    await mine.locator('.comment-held').waitFor();
    // ...and nowhere for anyone else.
    await theirs.goto(url);
    await theirs.waitForLoadState('networkidle');
    expect(await theirs.locator('.comment-held').count()).toBe(0);
    expect(await theirs.locator('.comment-list').textContent()).not.toContain('first thoughts');

    const queue = await request(t.http)
      .get('/api/admin/comments')
      .query({ status: 'pending', article: article.slug })
      .set(t.admin)
      .expect(200);
    expect(queue.body.items).toHaveLength(1);
    const id: string = queue.body.items[0].id;
    await request(t.http)
      .patch(`/api/admin/comments/${id}`)
      .set(t.admin)
      .send({ status: 'approved' })
      .expect(200);

    await theirs.goto(url);
    const published = theirs.locator(`#comment-${id}`);
    expect(await published.locator('.comment-body').textContent()).toContain('first thoughts');
    expect(await theirs.locator('.comment-held').count()).toBe(0);
    await mine.goto(url);
    await mine.waitForLoadState('networkidle');
    expect(await mine.locator(`#comment-${id}`).count()).toBe(1);
    expect(await mine.locator('.comment-held').count()).toBe(0);
    await expect
      .poll(() => mine.evaluate(() => localStorage.getItem('marginalia:held-comments')))
      .toBe('[]');

    // A reader reports it through the API with the voter id the script keeps.
    await published.locator('.comment-report summary').click();
    await published.locator('.report-form input[name="reason"]').fill('rude to other readers');
    await published.locator('.report-form button').click();
    await published.locator('.report-done').waitFor();
    expect(await published.locator('.report-done').textContent()).toContain('Thank you');
    const reports = await t.dataSource.query(
      'SELECT reason FROM comment_reports WHERE comment_id = $1',
      [id],
    );
    expect(reports).toEqual([{ reason: 'rude to other readers' }]);
    // One voter id per browser, shared by votes and reports.
    const voterId = await theirs.evaluate(() => localStorage.getItem('marginalia.voterId'));
    expect(voterId).toMatch(/^(v-[0-9a-f-]{36}|[0-9a-f]{32})$/);

    await author.close();
    await stranger.close();
  });
});
