import { Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ByteBudgetCache } from '../common/byte-budget-cache';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { weakEtag } from '../http/etag';

/** A page as it is sent: its JSON as UTF-8 bytes and their ETag, both made once per load. */
export interface PreparedPage {
  body: Buffer;
  etag: string;
}

/** A page as loaded: its JSON text and the id of the article it belongs to. */
export interface LoadedPage {
  json: string;
  articleId: string;
}

export function preparedPage(json: string): PreparedPage {
  const body = Buffer.from(json);
  return { body, etag: weakEtag(body) };
}

/** A page in memory, with what decides whether it may still be served. */
interface KeptPage {
  page: PreparedPage;
  /** When (ms since the Unix epoch) a hit starts refreshing it in the background. */
  refreshAfter: number;
  /** The cache's epoch when its load started. */
  epoch: number;
  articleId: string;
}

/** What a kept page is charged against THREAD_CACHE_BYTES: its bytes, texts and bookkeeping. */
const keptBytes = (kept: KeptPage): number =>
  kept.page.body.length + 2 * (kept.page.etag.length + kept.articleId.length) + 128;

/** A load under way, and what it was started for. */
interface Load {
  slug: string;
  /** The cache's epoch when it started: an invalidation after it makes its page unusable. */
  epoch: number;
  page: Promise<PreparedPage>;
}

/** Past this many articles or slugs tracked one by one, the whole cache is emptied instead. */
const MAX_INVALIDATED = 10_000;

/**
 * Public thread pages of the JSON API, kept in this instance's memory for THREAD_CACHE_MS
 * (default 1 s) as the bytes they are sent as, with their ETag (so a hit is neither serialized,
 * encoded nor hashed again), within THREAD_CACHE_BYTES (default 32 MiB): a client asking for
 * thousands of distinct pages evicts the least recently used ones, it cannot grow the process. A
 * busy article is read far more often than it changes, and the request path costs more than the
 * query.
 *
 * A change drops the pages of the article it touched, not every page: a write to one article
 * (through this instance, by slug, or through the change feed, by id) leaves every other
 * article's pages served from memory. Each invalidation starts a new epoch; a kept page or a load
 * from an epoch before its article's (or slug's) last invalidation is never served again, so a
 * writer reads its own change at once, and other instances see it within THREAD_CACHE_MS.
 */
@Injectable()
export class ThreadPageCache {
  private readonly pages: ByteBudgetCache<KeptPage>;
  /** Loads under way: concurrent misses of one page wait for the same query. */
  private readonly loading = new Map<string, Load>();
  private epoch = 0;
  /** Pages loaded before this epoch are not served (the last time everything was dropped). */
  private clearedAt = 0;
  /** Per article id, and per slug, the epoch of its last invalidation. */
  private readonly articlesChangedAt = new Map<string, number>();
  private readonly slugsChangedAt = new Map<string, number>();
  /** The article each slug named when its pages were last loaded. */
  private readonly articleOfSlug = new Map<string, string>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.pages = new ByteBudgetCache<KeptPage>(
      config.threadCacheBytes,
      config.threadCacheMs,
      Date.now,
      keptBytes,
    );
  }

  /**
   * The page from memory, or loaded once however many ask at the same time. A page past half
   * its THREAD_CACHE_MS is still served while one request refreshes it in the background, so a
   * busy page's readers never queue behind its expiry (no page is served past THREAD_CACHE_MS).
   */
  read(key: string, slug: string, load: () => Promise<LoadedPage>): Promise<PreparedPage> {
    if (!this.enabled) {
      return load().then((page) => preparedPage(page.json));
    }
    const kept = this.kept(key, slug);
    if (kept !== undefined) {
      if (this.dueForRefresh(key, kept)) {
        this.load(key, slug, load).catch(() => undefined); // the kept copy is still good
      }
      return Promise.resolve(kept.page);
    }
    return this.loading.get(key)?.page ?? this.load(key, slug, load);
  }

  /**
   * The kept page when read() would answer it at once and start nothing: it is current, and not
   * due for a refresh or being refreshed already. A hit answered before the controller
   * (installThreadCacheHits) takes it; anything else goes the whole way, to read().
   */
  peek(key: string, slug: string): PreparedPage | undefined {
    const kept = this.enabled ? this.kept(key, slug) : undefined;
    return kept !== undefined && !this.dueForRefresh(key, kept) ? kept.page : undefined;
  }

  /** Past half its life, with no refresh under way: the next read() starts one. */
  private dueForRefresh(key: string, kept: KeptPage): boolean {
    return Date.now() >= kept.refreshAfter && !this.loading.has(key);
  }

  private get enabled(): boolean {
    return this.config.threadCacheMs > 0 && this.config.threadCacheBytes > 0;
  }

  /** The page kept under `key` if it has seen every invalidation since (a stale one is dropped). */
  private kept(key: string, slug: string): KeptPage | undefined {
    const kept = this.pages.get(key);
    if (kept !== undefined && !this.current(kept.epoch, kept.articleId, slug)) {
      this.pages.delete(key);
      return undefined;
    }
    return kept;
  }

  /** After a change to one article that is known by its id (the change feed). */
  invalidateArticle(articleId: string): void {
    this.epoch += 1;
    this.articlesChangedAt.set(articleId, this.epoch);
    // A load under way for a slug not known to name another article is joined no more (it
    // stores its page only if it is still current: load()).
    for (const [key, load] of this.loading) {
      const loadsArticle = this.articleOfSlug.get(load.slug);
      if (loadsArticle === undefined || loadsArticle === articleId) {
        this.loading.delete(key);
      }
    }
    this.bound();
  }

  /** After a change to one article that is known by its slug (a write through this instance). */
  invalidateSlug(slug: string): void {
    this.epoch += 1;
    this.slugsChangedAt.set(slug, this.epoch);
    for (const [key, load] of this.loading) {
      if (load.slug === slug) {
        this.loading.delete(key);
      }
    }
    this.bound();
  }

  /** After a change of unknown extent: nothing read before it is served again, in flight or kept. */
  clear(): void {
    this.epoch += 1;
    this.clearedAt = this.epoch;
    this.pages.clear();
    this.loading.clear();
    this.articlesChangedAt.clear();
    this.slugsChangedAt.clear();
    this.articleOfSlug.clear();
  }

  /** Whether a page loaded in `epoch` has seen every invalidation of its article and slug. */
  private current(epoch: number, articleId: string, slug: string): boolean {
    return (
      epoch >= this.clearedAt &&
      epoch >= (this.articlesChangedAt.get(articleId) ?? 0) &&
      epoch >= (this.slugsChangedAt.get(slug) ?? 0)
    );
  }

  /** What is tracked per article and per slug cannot grow without bound: past it, one clear. */
  private bound(): void {
    const marks = this.articlesChangedAt.size + this.slugsChangedAt.size;
    if (marks + this.articleOfSlug.size > MAX_INVALIDATED) {
      this.clear();
    }
  }

  private load(key: string, slug: string, load: () => Promise<LoadedPage>): Promise<PreparedPage> {
    const refreshAfter = Date.now() + Math.floor(this.config.threadCacheMs / 2);
    const page = load().then(
      ({ json, articleId }) => {
        const prepared = preparedPage(json);
        if (this.articleOfSlug.get(slug) !== articleId) {
          this.articleOfSlug.set(slug, articleId);
          this.bound();
        }
        if (this.loading.get(key) === entry) {
          this.loading.delete(key);
        }
        // A change may have come while this query ran: keep only a page that has seen every one.
        if (this.current(entry.epoch, articleId, slug)) {
          this.pages.set(key, { page: prepared, refreshAfter, epoch: entry.epoch, articleId });
        }
        return prepared;
      },
      (error: unknown) => {
        if (this.loading.get(key) === entry) {
          this.loading.delete(key);
        }
        throw error;
      },
    );
    const entry: Load = { slug, epoch: this.epoch, page };
    this.loading.set(key, entry);
    return page;
  }
}

/** Writes that change no thread page: reads sent as POST, and sign-ups. */
const CHANGE_NO_PAGE = new Set([
  '/api/comments/counts',
  '/api/newsletter/subscriptions',
  '/newsletter/subscribe',
  '/articles/:slug/newsletter',
  '/api/articles/:slug/subscriptions',
  '/articles/:slug/follow',
]);

/** Writes that change the pages of the one article whose slug is in their path. */
const CHANGE_ONE_ARTICLE = new Set(['/api/articles/:slug/comments', '/articles/:slug/comments']);

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by a write whose path does not name its article (a vote, a report, an author's edit
     * or removal: they name a comment) to the one article it changed: the thread cache then
     * drops that article's pages, not every page.
     */
    changedArticleId: string | null;
  }
}

/**
 * Invalidates the thread cache when a write request answers, just before its response headers go
 * out, so the writer's next read (and anyone's) finds no page read before the write: the pages of
 * the article a comment was posted to (named in the path) or that the handler says it changed
 * (`request.changedArticleId`: a vote, a report, an author's edit or removal), nothing for a write
 * that changes no page, everything for any other write (moderation, an erasure, an import: what
 * they touched is not known here). A refused write (4xx) changes nothing, so it invalidates
 * nothing: junk posts cannot keep a hot page out of the cache. A 5xx invalidates as a success
 * would, since what a failed write left is not known. A Fastify onRequest hook rather than a Nest
 * interceptor: a global interceptor puts an rxjs pipeline on every request, reads included.
 */
export function installThreadCacheInvalidation(
  fastify: FastifyInstance,
  cache: ThreadPageCache,
): void {
  // Declared up front, so every request object is built with the property (one shape).
  fastify.decorateRequest('changedArticleId', null);
  fastify.addHook('onRequest', invalidateOnWrite(cache));
}

function invalidateOnWrite(cache: ThreadPageCache) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const route = request.routeOptions.url ?? '';
      if (!CHANGE_NO_PAGE.has(route)) {
        const slug = CHANGE_ONE_ARTICLE.has(route)
          ? (request.params as { slug?: unknown }).slug
          : undefined;
        const res = reply.raw;
        const writeHead = res.writeHead;
        res.writeHead = function (this: typeof res, ...args: unknown[]) {
          const status = typeof args[0] === 'number' ? args[0] : res.statusCode;
          if (status < 400 || status >= 500) {
            const articleId = request.changedArticleId;
            if (typeof slug === 'string') {
              cache.invalidateSlug(slug);
            }
            if (articleId !== null) {
              cache.invalidateArticle(articleId);
            }
            if (typeof slug !== 'string' && articleId === null) {
              cache.clear();
            }
          }
          return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
        };
      }
    }
    done();
  };
}
