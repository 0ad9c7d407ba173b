import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, TestApp } from './support/app';
import { artifactPath, describeBrowser, launchBrowser, listen } from './support/browser';

const TITLE = 'China seeks partnership with Turkey in combating terrorism';
const FOOTER_LINES = [
  'Subscribe to our newsletter',
  'Sign up here to get the latest news',
  'Notify of',
  'new follow-up comments',
  'Inline Feedbacks',
  'View all comments',
  'Would love your thoughts',
];

describeBrowser('the reader page in Chromium', () => {
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

  async function open(path: string, viewport: { width: number; height: number }) {
    const context = await browser.newContext({ viewport, javaScriptEnabled: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') {
        problems.push(m.text());
      }
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    const response = await page.goto(`${base}${path}`, { waitUntil: 'load' });
    return { page, response, problems, close: () => context.close() };
  }

  async function horizontalOverflow(page: Page): Promise<number> {
    return page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
  }

  it('shows the seed article on a phone: title, 23 paragraphs with block ids, no footer in the body', async () => {
    const { page, response, problems, close } = await open('/', { width: 375, height: 740 });
    try {
      expect(response?.status()).toBe(200);
      await page.screenshot({ path: artifactPath('reader-page-phone.png'), fullPage: true });

      expect(await page.title()).toBe(`${TITLE} · Marginalia`);
      const h1 = page.getByRole('heading', { level: 1 });
      expect(await h1.count()).toBe(1);
      expect(await h1.innerText()).toBe(TITLE);

      const blocks = page.locator('article .article-body [data-block-id]');
      expect(await blocks.count()).toBe(23);
      const ids = await blocks.evaluateAll((els) =>
        els.map((e) => e.getAttribute('data-block-id')),
      );
      expect(new Set(ids).size).toBe(23);
      expect(ids.every((id) => /^b[0-9a-f]{10}$/.test(id ?? ''))).toBe(true);
      const paragraphs = page.locator('article .article-body [data-block-id] > p');
      expect(await paragraphs.count()).toBe(23);
      const api = await (
        await fetch(
          `${base}/api/articles/china-seeks-partnership-with-turkey-in-combating-terrorism`,
        )
      ).json();
      expect(ids).toEqual(api.blocks.map((b: { id: string }) => b.id));

      const body = await page.locator('article').innerText();
      expect(body).toContain('Chinese President Xi Jinping has invited');
      expect(body.trimEnd()).toMatch(/he concluded\.$/);
      for (const line of FOOTER_LINES) {
        expect(body).not.toContain(line);
      }

      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      const fontSize = await paragraphs
        .first()
        .evaluate((p) => parseFloat(getComputedStyle(p).fontSize));
      expect(fontSize).toBeGreaterThanOrEqual(16);
      expect(await paragraphs.first().isVisible()).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('has the places for the newsletter box and the comment thread', async () => {
    const { page, close } = await open('/', { width: 1280, height: 900 });
    try {
      const newsletter = page.getByRole('complementary', { name: 'Subscribe to our newsletter' });
      expect(await newsletter.count()).toBe(1);
      expect(await newsletter.innerText()).toContain(
        'Sign up here to get the latest news, updates and special offers',
      );
      const comments = page.getByRole('region', { name: /Comments/ });
      expect(await comments.count()).toBe(1);
      expect(await comments.getAttribute('id')).toBe('comments');
      expect(await comments.innerText()).toContain('Would love your thoughts, please comment');
      expect(await page.locator('#newsletter').count()).toBe(1);
    } finally {
      await close();
    }
  });

  it('reads well on a desktop: a measure of at most ~80 characters, no horizontal scroll', async () => {
    const { page, close } = await open('/', { width: 1440, height: 900 });
    try {
      await page.screenshot({ path: artifactPath('reader-page-desktop.png'), fullPage: false });
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      const width = await page
        .locator('article .article-body p')
        .first()
        .evaluate((p) => p.getBoundingClientRect().width);
      expect(width).toBeGreaterThan(400);
      expect(width).toBeLessThan(800);
    } finally {
      await close();
    }
  });

  it('uses semantic, accessible markup', async () => {
    const { page, close } = await open('/', { width: 1024, height: 800 });
    try {
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      expect(await page.getByRole('banner').count()).toBe(1);
      expect(await page.getByRole('main').count()).toBe(1);
      expect(await page.getByRole('contentinfo').count()).toBe(1);
      expect(await page.getByRole('article').count()).toBe(1);
      // Heading levels never skip: h1, then h2s.
      const levels = await page
        .locator('h1, h2, h3, h4, h5, h6')
        .evaluateAll((hs) => hs.map((h) => Number(h.tagName[1])));
      expect(levels[0]).toBe(1);
      for (let i = 1; i < levels.length; i++) {
        expect(levels[i] - levels[i - 1]).toBeLessThanOrEqual(1);
      }
      const time = page.locator('article header time');
      expect(await time.getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      // The skip link is the first thing a keyboard reaches and leads to the content.
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => ({
        text: document.activeElement?.textContent,
        href: document.activeElement?.getAttribute('href'),
      }));
      expect(focused).toEqual({ text: 'Skip to content', href: '#main' });
      expect(await page.locator('#main').count()).toBe(1);
      expect(await page.locator('meta[name="viewport"]').count()).toBe(1);
    } finally {
      await close();
    }
  });

  it('serves /articles/:slug the same, and a not-found page for an unknown slug', async () => {
    const { page, response, close } = await open(
      '/articles/china-seeks-partnership-with-turkey-in-combating-terrorism',
      { width: 800, height: 600 },
    );
    try {
      expect(response?.status()).toBe(200);
      expect(await page.locator('h1').innerText()).toBe(TITLE);
      const missing = await page.goto(`${base}/articles/no-such-article`);
      expect(missing?.status()).toBe(404);
      expect(await page.locator('h1').innerText()).toBe('Page not found');
      await page.screenshot({ path: artifactPath('reader-page-not-found.png') });
    } finally {
      await close();
    }
  });
});
