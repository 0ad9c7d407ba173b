import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ByteBudgetCache } from '../common/byte-budget-cache';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { weakEtag } from '../http/etag';

/** A page as it is sent: its JSON text and that text's ETag, computed once per load. */
export interface PreparedPage {
  json: string;
  etag: string;
}

export function preparedPage(json: string): PreparedPage {
  return { json, etag: weakEtag(json) };
}

/**
 * Public thread pages of the JSON API, kept in this instance's memory for THREAD_CACHE_MS
 * (default 1 s) as the JSON text they are sent as, with its ETag (so a hit is neither serialized
 * nor hashed again), within THREAD_CACHE_BYTES (default 32 MiB): a client asking for thousands of distinct pages evicts the
 * least recently used ones, it cannot grow the process. A busy article is read far more often than
 * it changes, and the request path costs more than the query. Any write handled by this instance
 * empties the cache, so a writer reads its own change at once; other instances see it within
 * THREAD_CACHE_MS.
 */
@Injectable()
export class ThreadPageCache {
  private readonly pages: ByteBudgetCache;
  /** Loads under way: concurrent misses of one page wait for the same query. */
  private readonly loading = new Map<string, Promise<PreparedPage>>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.pages = new ByteBudgetCache(config.threadCacheBytes, config.threadCacheMs);
  }

  /**
   * The page from memory, or loaded once however many ask at the same time. A page past half
   * its THREAD_CACHE_MS is still served while one request refreshes it in the background, so a
   * busy page's readers never queue behind its expiry (no page is served past THREAD_CACHE_MS).
   */
  read(key: string, load: () => Promise<string>): Promise<PreparedPage> {
    if (this.config.threadCacheMs === 0 || this.config.threadCacheBytes === 0) {
      return load().then(preparedPage);
    }
    const hit = this.pages.get(key);
    if (hit !== undefined) {
      // Stored as "<refresh after, ms since epoch>\n<etag>\n<json>" (an ETag has no newline).
      const first = hit.indexOf('\n');
      const second = hit.indexOf('\n', first + 1);
      if (Date.now() >= Number(hit.slice(0, first)) && !this.loading.has(key)) {
        this.load(key, load).catch(() => undefined); // the kept copy is still good
      }
      return Promise.resolve({ json: hit.slice(second + 1), etag: hit.slice(first + 1, second) });
    }
    return this.loading.get(key) ?? this.load(key, load);
  }

  private load(key: string, load: () => Promise<string>): Promise<PreparedPage> {
    const refreshAfter = Date.now() + Math.floor(this.config.threadCacheMs / 2);
    const loaded = load().then(
      (json) => {
        const page = preparedPage(json);
        // A write may have emptied the cache while this query ran: keep only a current load.
        if (this.loading.get(key) === loaded) {
          this.loading.delete(key);
          this.pages.set(key, `${refreshAfter}\n${page.etag}\n${json}`);
        }
        return page;
      },
      (error: unknown) => {
        if (this.loading.get(key) === loaded) {
          this.loading.delete(key);
        }
        throw error;
      },
    );
    this.loading.set(key, loaded);
    return loaded;
  }

  /** After a write: nothing read before it is served again, in flight or kept. */
  clear(): void {
    this.pages.clear();
    this.loading.clear();
  }
}

/**
 * Empties the thread cache when a write request answers, unless it was refused (4xx: a refused
 * write changes nothing, and junk posts must not keep a hot page out of the cache): just before
 * its response headers go out, so the writer's next read (and anyone's) finds no page read before
 * the write. A 5xx empties it too, since what a failed write left is not known. A Fastify
 * onRequest hook rather than a Nest interceptor: a global interceptor puts an rxjs pipeline on
 * every request, reads included.
 */
export function clearThreadCacheOnWrite(cache: ThreadPageCache) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const res = reply.raw;
      const writeHead = res.writeHead;
      res.writeHead = function (this: typeof res, ...args: unknown[]) {
        const status = typeof args[0] === 'number' ? args[0] : res.statusCode;
        if (status < 400 || status >= 500) {
          cache.clear();
        }
        return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
      };
    }
    done();
  };
}
