import { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createArticle, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { artifactPath, describeBrowser, launchBrowser, listen } from './support/browser';

describeBrowser('the comment thread in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let article: TestArticle;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    base = await listen(t);
    article = await createArticle(t);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) {
        pageErrors.push(`${response.status()} ${response.url()}`);
      }
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function fillAndPost(name: string, body: string) {
    await page.getByLabel('Name').fill(name);
    await page
      .getByLabel('Email (never shown)')
      .fill(`${name.toLowerCase().replace(/\W/g, '')}@example.com`);
    await page.getByLabel('Comment', { exact: true }).fill(body);
    await page.getByRole('button', { name: 'Post comment' }).click();
  }

  it('posts a comment, replies to it and comments on a selected passage, without reloads', async () => {
    await page.goto(`${base}/articles/${article.slug}`);
    await expect
      .poll(() => page.locator('.comments-empty').textContent())
      .toBe('Would love your thoughts, please comment.');
    // A marker on window survives only if the page is never reloaded.
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });

    await fillAndPost('Alice Reader', 'A *first* thought');
    const first = page.locator('.comment-list > .comment').first();
    await first.locator('.comment-author', { hasText: 'Alice Reader' }).waitFor();
    await expect.poll(() => first.locator('.comment-body em').textContent()).toBe('first');
    await expect.poll(() => page.locator('#comments-title .count').textContent()).toBe('(1)');
    expect(await page.locator('.comments-empty').count()).toBe(0);

    await first.getByRole('link', { name: 'Reply' }).click();
    await page.locator('.replying-to', { hasText: 'Alice Reader' }).waitFor();
    await fillAndPost('Bob Replier', 'I agree with Alice');
    const reply = first.locator('.comment-replies > .comment');
    await reply.locator('.comment-author', { hasText: 'Bob Replier' }).waitFor();
    expect(await reply.locator('.comment-body').textContent()).toContain('I agree with Alice');

    // Select a passage inside the second paragraph.
    const block = article.blocks[1];
    await page.evaluate(
      ({ blockId, phrase }) => {
        const el = document.querySelector(`[data-block-id="${blockId}"] p`)!;
        const text = el.firstChild!;
        const start = text.textContent!.indexOf(phrase);
        const range = document.createRange();
        range.setStart(text, start);
        range.setEnd(text, start + phrase.length);
        const selection = window.getSelection()!;
        selection.removeAllRanges();
        selection.addRange(range);
        el.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
      },
      { blockId: block.id, phrase: 'talks about coffee' },
    );
    const offer = page.getByRole('button', { name: 'Comment on this passage' });
    await offer.waitFor({ state: 'visible' });
    await offer.click();
    await expect
      .poll(() => page.locator('.passage-quote-text').textContent())
      .toBe('talks about coffee');
    await fillAndPost('Carol Inline', 'Coffee deserves more');
    const inline = page.locator('.comment', { hasText: 'Carol Inline' });
    await inline.locator('.comment-quote').waitFor();
    expect(await inline.locator('.comment-quote').textContent()).toContain('talks about coffee');

    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
    await page.screenshot({ path: artifactPath('comments-thread.png'), fullPage: true });

    // After a reload the paragraph carries its inline badge and the switch filters to it.
    await page.goto(`${base}/articles/${article.slug}`);
    const badge = page.locator(`[data-block-id="${block.id}"] .inline-badge`);
    await expect.poll(() => badge.textContent()).toBe('1');
    await page.getByRole('link', { name: 'Inline Feedbacks' }).click();
    await page.waitForURL(/anchor=inline/);
    expect(await page.locator('.comment-list > .comment').count()).toBe(1);
    await page.getByRole('link', { name: 'View all comments' }).click();
    await page.waitForURL((url) => !url.search.includes('anchor'));
    expect(await page.locator('.comment-list > .comment').count()).toBe(2);
    expect(pageErrors, pageErrors.join('\n')).toEqual([]);
  });

  it('votes with one click and remembers the vote', async () => {
    await page.goto(`${base}/articles/${article.slug}`);
    const first = page.locator('.comment-list > .comment').first();
    const up = first.locator(':scope > .comment-card .vote-up');
    await up.click();
    await expect
      .poll(() => first.locator(':scope > .comment-card .vote-score').textContent())
      .toBe('1');
    expect(await up.getAttribute('aria-pressed')).toBe('true');
  });

  it('works without JavaScript: the form posts and the page shows the comment', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    try {
      await plain.goto(`${base}/articles/${article.slug}`);
      await plain.getByLabel('Name').fill('Dora NoScript');
      await plain.getByLabel('Email (never shown)').fill('dora@example.com');
      await plain.getByLabel('Comment', { exact: true }).fill('Posted by a plain form');
      await plain.getByRole('button', { name: 'Post comment' }).click();
      await plain.waitForURL(/#comment-/);
      const id = new URL(plain.url()).hash.slice(1);
      expect(await plain.locator(`#${id} .comment-author`).textContent()).toBe('Dora NoScript');
      await plain.setViewportSize({ width: 390, height: 844 });
      // Readable on a phone: nothing in the thread is wider than the screen.
      expect(await plain.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        390,
      );
      await plain.screenshot({
        path: artifactPath('comments-thread-phone-nojs.png'),
        fullPage: true,
      });
    } finally {
      await context.close();
    }
  });
});
