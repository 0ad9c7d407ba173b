import { hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A weak ETag of a response body, in the form Express gave every answer (the `etag` package:
 * `W/"<length in hex>-<27 characters of the SHA-1 in base64>"`).
 */
export function weakEtag(body: string | Buffer): string {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (length === 0) {
    return 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';
  }
  const digest = hash('sha1', body, 'base64').slice(0, 27);
  return `W/"${length.toString(16)}-${digest}"`;
}

/** Whether the client's copy (If-None-Match) is this ETag: weak comparison, lists and `*`. */
export function isFresh(headers: IncomingHttpHeaders, etag: string): boolean {
  const header = headers['if-none-match'];
  if (!header || /(?:^|,)\s*no-cache\s*(?:,|$)/.test(headers['cache-control'] ?? '')) {
    return false;
  }
  if (header.trim() === '*') {
    return true;
  }
  const own = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === own);
}

/** `Cache-Control: no-store` among a reply's headers (set as one string, as every route does). */
function notStored(reply: FastifyReply): boolean {
  const control = reply.getHeader('cache-control');
  return typeof control === 'string' && /(?:^|,)\s*no-store\s*(?:,|$)/i.test(control);
}

/**
 * An onSend hook: every GET answered with a body (JSON, a page) gets an ETag, and a client that
 * already holds a successful answer's body gets a bodiless 304 instead, as under Express. A route
 * that knows its body's ETag already (a cached thread page, a feed) sets it, and the body is not
 * hashed again; streams are left alone. So is an answer marked `no-store` (health checks, the
 * console's pages, confirmation pages): no client keeps it, so none can revalidate it, and a
 * health check must never be answered "not modified".
 */
export function etagOnSend(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (error: null, payload: unknown) => void,
): void {
  if (
    (request.method !== 'GET' && request.method !== 'HEAD') ||
    (typeof payload !== 'string' && !Buffer.isBuffer(payload)) ||
    notStored(reply)
  ) {
    done(null, payload);
    return;
  }
  const own = reply.getHeader('etag');
  const etag = typeof own === 'string' ? own : weakEtag(payload);
  if (own === undefined) {
    reply.header('ETag', etag);
  }
  const status = reply.statusCode;
  if (status >= 200 && status < 300 && isFresh(request.headers, etag)) {
    reply.code(304);
    done(null, '');
    return;
  }
  done(null, payload);
}
