import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PUBLIC_CACHE_HEADERS } from '../http/public-cache';
import type { ThreadOptions } from './comment-thread.service';
import { ThreadQuery, ThreadSort } from './dto/comment.dto';
import { ThreadPageCache } from './thread-page-cache';

/** The public thread page's route, as Fastify names it. */
const THREAD_PAGE_ROUTE = '/api/articles/:slug/comments';
/** The thread page's content type, on every answer (the controller's and a hit's). */
export const THREAD_PAGE_TYPE = 'application/json; charset=utf-8';
/** What a hit is sent with besides its ETag: what the controller's decorators set. */
const HIT_HEADERS = Object.freeze({ 'Content-Type': THREAD_PAGE_TYPE, ...PUBLIC_CACHE_HEADERS });

/** The key a thread page is kept under in the ThreadPageCache. */
export function threadPageKey(slug: string, options: ThreadOptions): string {
  return JSON.stringify([slug, options.sort, options.limit, options.cursor, options.anchor]);
}

/**
 * The options a query string names, made as the validation pipe makes them (ThreadQuery's
 * defaults, the limit through Number as its @Type does, the texts as they are), without its
 * checks: a page is kept only under the options of a query validation accepted, so a query whose
 * options are those of a kept page is one validation accepts too, and any other finds no page and
 * goes to the controller, which refuses it. A name ThreadQuery does not declare, or one given
 * twice, is undefined here (validation refuses unknown fields and repeated ones).
 */
function threadQueryOptions(query: unknown): ThreadOptions | undefined {
  const options = new ThreadQuery();
  for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      return undefined;
    }
    if (name === 'limit') {
      options.limit = Number(value);
    } else if (name === 'sort') {
      // Unchecked, as the others: a sort validation refuses names no kept page.
      options.sort = value as ThreadSort;
    } else if (name === 'cursor') {
      options.cursor = value;
    } else if (name === 'anchor') {
      options.anchor = value;
    } else {
      return undefined;
    }
  }
  return options;
}

/**
 * Answers a thread page the cache holds before the framework's route pipeline (guards, the query's
 * validation and transformation, the controller, its interceptors): on a busy article nearly
 * every read is such a hit, and that pipeline was most of its cost and of the garbage that made
 * its tail (a young-generation collection every 13 ms at 30,000 reads a second). Only what the
 * controller would answer the same at once: a GET, not from a writer reading its own change (it
 * reads around the cache), with a query naming only ThreadQuery's fields (threadQueryOptions), of
 * a page that is current and not due for a refresh (ThreadPageCache.peek). Everything else
 * (misses, refreshes, invalid queries) goes the whole way. The answer still passes the onSend hooks: its ETag makes
 * a revalidation a 304.
 */
export function installThreadCacheHits(fastify: FastifyInstance, cache: ThreadPageCache): void {
  fastify.addHook(
    'preHandler',
    (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
      if (
        request.method === 'GET' &&
        request.routeOptions.url === THREAD_PAGE_ROUTE &&
        request.reads?.freshWriter === false
      ) {
        const slug = (request.params as { slug?: unknown }).slug;
        const options = threadQueryOptions(request.query);
        const page =
          typeof slug === 'string' && options
            ? cache.peek(threadPageKey(slug, options), slug)
            : undefined;
        if (page) {
          void reply.headers(HIT_HEADERS).header('ETag', page.etag).send(page.body);
          return;
        }
      }
      done();
    },
  );
}
