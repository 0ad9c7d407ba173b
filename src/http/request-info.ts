import accepts from 'accepts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

type Message = FastifyRequest | IncomingMessage;

/** The request's path, without the query string (what `req.path` was under Express). */
export function pathOf(req: Message): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** The media type of the body, lower-cased and without parameters; null when none is declared. */
export function mediaTypeOf(req: Message): string | null {
  const header = req.headers['content-type'];
  if (!header) {
    return null;
  }
  const semicolon = header.indexOf(';');
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/** Whether the request carries a body at all (GETs, and writes without one, do not). */
export function hasBody(req: Message): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Whether the client's Accept header prefers JSON to HTML (a browser does not). */
export function prefersJson(req: FastifyRequest): boolean {
  return accepts(req.raw).type(['html', 'json']) === 'json';
}

/** The User-Agent header, or null. */
export function userAgentOf(req: FastifyRequest): string | null {
  return req.headers['user-agent'] ?? null;
}

/** A request header as one string (the first, when a client repeats it), or undefined. */
export function headerOf(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * For a route that writes its answer to the socket itself (a stream): Fastify steps aside, and
 * the headers the reply holds so far (request id, security headers) go onto the raw response.
 */
export function takeOver(reply: FastifyReply): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) {
      res.setHeader(name, value);
    }
  }
  return res;
}

export interface CookieOptions {
  path?: string;
  maxAgeMs?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'strict' | 'lax';
}

/**
 * Adds a Set-Cookie header in the form Express's `res.cookie` wrote (Max-Age in seconds, then
 * Path, Expires, HttpOnly, Secure, SameSite). Values are our own tokens and numbers: nothing to
 * encode beyond what encodeURIComponent does.
 */
export function setCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  options: CookieOptions,
): void {
  const parts = [`${name}=${encodeURIComponent(value)}`];
  if (options.maxAgeMs !== undefined) {
    parts.push(`Max-Age=${Math.floor(options.maxAgeMs / 1000)}`);
  }
  parts.push(`Path=${options.path ?? '/'}`);
  if (options.maxAgeMs !== undefined) {
    parts.push(`Expires=${new Date(Date.now() + options.maxAgeMs).toUTCString()}`);
  }
  if (options.httpOnly) {
    parts.push('HttpOnly');
  }
  if (options.secure) {
    parts.push('Secure');
  }
  if (options.sameSite) {
    parts.push(`SameSite=${options.sameSite === 'strict' ? 'Strict' : 'Lax'}`);
  }
  // Fastify keeps every Set-Cookie given (an array), as Express's res.cookie appended.
  reply.header('Set-Cookie', parts.join('; '));
}
