import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../config/app-config';
import { LoadedPage, PreparedPage, ThreadPageCache } from './thread-page-cache';

const config = { threadCacheMs: 60_000, threadCacheBytes: 1024 * 1024 } as AppConfig;

/** A load the test finishes by hand, counting how often the cache started one. */
function loader(articleId: string) {
  const pending: ((json: string) => void)[] = [];
  const load = (): Promise<LoadedPage> =>
    new Promise((resolve) => pending.push((json) => resolve({ json, articleId })));
  return {
    load,
    started: () => pending.length,
    finish: (json: string) => pending.shift()?.(json),
  };
}

/** The JSON a page is sent as. */
const text = (page: PreparedPage): string => page.body.toString('utf8');

describe('ThreadPageCache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('computes concurrent misses of one page once and serves the page from memory after', async () => {
    const cache = new ThreadPageCache(config);
    const page = loader('a1');
    const first = cache.read('k', 'one', page.load);
    const second = cache.read('k', 'one', page.load);
    page.finish('{"v":1}');
    expect(text(await first)).toBe('{"v":1}');
    expect((await second).etag).toBe((await first).etag);
    expect(text(await cache.read('k', 'one', page.load))).toBe('{"v":1}');
    expect(page.started()).toBe(0);
  });

  it('never keeps a page whose load began before its article or slug changed', async () => {
    for (const change of [
      (c: ThreadPageCache) => c.invalidateSlug('one'),
      (c: ThreadPageCache) => c.invalidateArticle('a1'),
      (c: ThreadPageCache) => c.clear(),
    ]) {
      const cache = new ThreadPageCache(config);
      const page = loader('a1');
      const before = cache.read('k', 'one', page.load);
      change(cache);
      // A reader after the change does not wait for the load begun before it: a new one starts.
      const after = cache.read('k', 'one', page.load);
      expect(page.started()).toBe(2);
      page.finish('{"v":"old"}');
      page.finish('{"v":"new"}');
      expect(text(await before)).toBe('{"v":"old"}');
      expect(text(await after)).toBe('{"v":"new"}');
      expect(text(await cache.read('k', 'one', page.load))).toBe('{"v":"new"}');
    }
  });

  it('keeps the pages of other articles through a change to one', async () => {
    const cache = new ThreadPageCache(config);
    const one = loader('a1');
    const two = loader('a2');
    const reads = [cache.read('k1', 'one', one.load), cache.read('k2', 'two', two.load)];
    one.finish('{"one":1}');
    two.finish('{"two":1}');
    await Promise.all(reads);
    // A load under way for a slug known to name another article is still joined.
    const nextPage = cache.read('k2-next', 'two', two.load);
    cache.invalidateArticle('a1');
    cache.invalidateSlug('three');
    const joined = cache.read('k2-next', 'two', two.load);
    expect(two.started()).toBe(1);
    two.finish('{"two":"next"}');
    expect(text(await joined)).toBe(text(await nextPage));
    expect(text(await cache.read('k2', 'two', two.load))).toBe('{"two":1}');
    expect(two.started()).toBe(0);
    const again = cache.read('k1', 'one', one.load);
    expect(one.started()).toBe(1);
    one.finish('{"one":2}');
    expect(text(await again)).toBe('{"one":2}');
  });

  it('offers a kept page to a hit answered before the controller only while read() would start nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = new ThreadPageCache({ ...config, threadCacheMs: 1000 });
    const page = loader('a1');
    expect(cache.peek('k', 'one')).toBeUndefined();
    const first = cache.read('k', 'one', page.load);
    // A load under way is not a page yet.
    expect(cache.peek('k', 'one')).toBeUndefined();
    page.finish('{"v":1}');
    await first;
    expect(text(cache.peek('k', 'one')!)).toBe('{"v":1}');
    expect(cache.peek('k', 'other slug')).toBeDefined();
    // Past half its life it is due for a refresh, which only read() starts.
    vi.advanceTimersByTime(600);
    expect(cache.peek('k', 'one')).toBeUndefined();
    expect(text(await cache.read('k', 'one', page.load))).toBe('{"v":1}');
    expect(page.started()).toBe(1);
    // While that refresh runs, the kept copy is what read() answers too.
    expect(text(cache.peek('k', 'one')!)).toBe('{"v":1}');
    page.finish('{"v":2}');
    await vi.waitFor(() => expect(text(cache.peek('k', 'one')!)).toBe('{"v":2}'));
    cache.invalidateArticle('a1');
    expect(cache.peek('k', 'one')).toBeUndefined();
  });

  it('offers nothing when the cache is off', async () => {
    const cache = new ThreadPageCache({ ...config, threadCacheMs: 0 });
    const page = loader('a1');
    const read = cache.read('k', 'one', page.load);
    page.finish('{"v":1}');
    expect(text(await read)).toBe('{"v":1}');
    expect(cache.peek('k', 'one')).toBeUndefined();
  });
});
