import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { assertSafeJson } from '../common/json-body';
import { mediaTypeOf, pathOf } from './request-info';

const KB = 1024;
/** JSON bodies everywhere but the article routes. */
export const JSON_BODY_BYTES = 64 * KB;
/**
 * Articles may hold 200,000 characters (docs/API.md): up to 6 bytes of JSON each when a client
 * escapes every non-ASCII character as \uXXXX, plus the title and summary.
 */
export const ARTICLE_BODY_BYTES = 1300 * KB;
export const ARTICLE_ROUTES = '/api/admin/articles';
/**
 * Forms on the reader pages (no-JavaScript posting, unsubscribe, confirm) are small; the
 * console's carry article bodies, newsletters and up to 1,000 selected comment ids.
 */
const READER_FORM = { bytes: 16 * KB, parameters: 20 };
const CONSOLE_FORM = { bytes: 256 * KB, parameters: 1100 };

const CONSOLE_PATH = /^\/admin(\/|$)/i;

/**
 * A request refused before it reached a controller (its body could not be read or parsed):
 * answered in the API's JSON shape on every path, pages included.
 */
export class BodyError extends HttpException {
  constructor(status: number, message: string) {
    super({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message }, status);
  }
}

/** Fastify's own body-reading errors (too large, cut short) as the API words them. */
export function bodyErrorOf(error: unknown): BodyError | null {
  if (error instanceof BodyError) {
    return error;
  }
  // Nest hands Fastify's 4xx errors over as an HttpException caused by them.
  const fastifyError = error instanceof HttpException ? error.cause : error;
  const { code, statusCode } = (fastifyError ?? {}) as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string' && code.startsWith('Z_')) {
    // A compressed body that does not inflate.
    return new BodyError(400, 'request body is not valid JSON');
  }
  if (typeof code !== 'string' || !code.startsWith('FST_ERR_CTP_')) {
    return null;
  }
  const status =
    typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 ? statusCode : 400;
  return new BodyError(
    status,
    status === 413 ? 'request body too large' : 'request body is not valid JSON',
  );
}

/** JSON is UTF-8 (RFC 8259 §8.1): the name of any other declared charset, else null. */
export function nonUtf8Charset(contentType: string | undefined): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '');
  const charset = match?.[1].toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8' ? null : charset;
}

/**
 * Objects and arrays only (a bare `"x"` or `1` is not a request body here), nothing nested past
 * what the validators can walk, no string PostgreSQL cannot store.
 */
function parseJson(request: FastifyRequest, body: string): unknown {
  if (body === '') {
    // A declared empty body is no body; an empty chunked one is an empty object.
    return request.headers['content-length'] === '0' ? undefined : {};
  }
  // The console's routes take larger bodies for their forms, not for JSON.
  if (request.routeOptions.bodyLimit === CONSOLE_FORM.bytes && body.length > JSON_BODY_BYTES / 6) {
    if (Buffer.byteLength(body) > JSON_BODY_BYTES) {
      throw new BodyError(413, 'request body too large');
    }
  }
  const charset = nonUtf8Charset(request.headers['content-type']);
  if (charset) {
    throw new BodyError(
      415,
      `the body must be UTF-8; unsupported charset "${charset.slice(0, 40).toUpperCase()}"`,
    );
  }
  const first = /^[ \t\n\r]*(.)/.exec(body)?.[1];
  let value: unknown;
  try {
    if (first !== '{' && first !== '[') {
      throw new SyntaxError('not an object or array');
    }
    value = JSON.parse(body);
  } catch {
    throw new BodyError(400, 'request body is not valid JSON');
  }
  try {
    assertSafeJson(value);
  } catch (error) {
    throw error instanceof HttpException
      ? new BodyError(error.getStatus(), error.message)
      : (error as Error);
  }
  return value;
}

/** Urlencoded forms on the pages (never under /api, which takes JSON only). */
function parseForm(request: FastifyRequest, body: string): unknown {
  const path = pathOf(request);
  if (path.toLowerCase().startsWith('/api')) {
    return undefined;
  }
  const { parameters } = CONSOLE_PATH.test(path) ? CONSOLE_FORM : READER_FORM;
  if (body === '') {
    return {};
  }
  let count = 1;
  for (let at = body.indexOf('&'); at !== -1; at = body.indexOf('&', at + 1)) {
    count += 1;
    if (count > parameters) {
      throw new BodyError(413, 'request body too large');
    }
  }
  // Spread into a plain object: keys such as __proto__ become fields, never a prototype.
  return { ...parseQueryString(body, '&', '=', { maxKeys: parameters }) };
}

const INFLATERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * A preParsing hook: a compressed JSON or form body (Content-Encoding gzip, deflate or br) is
 * inflated before it is read, the limits applying to what it inflates to, as the Express body
 * parsers did; another encoding is a 415. Other bodies (the import upload) are left as they are.
 */
function inflateBody(
  request: FastifyRequest,
  _reply: FastifyReply,
  payload: Readable,
  done: (error: Error | null, payload?: Readable) => void,
): void {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  const type = encoding && encoding !== 'identity' ? mediaTypeOf(request) : null;
  if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded') {
    done(null, payload);
    return;
  }
  const inflater = INFLATERS[encoding!];
  if (!inflater) {
    done(
      new BodyError(
        415,
        `the body must be UTF-8; unsupported content encoding "${encoding!.slice(0, 40)}"`,
      ),
    );
    return;
  }
  // Fastify compares Content-Length with the bytes received, not with the inflated ones.
  const inflated = Object.assign(inflater(), { receivedEncodedLength: 0 });
  payload.on('data', (chunk: Buffer) => (inflated.receivedEncodedLength += chunk.length));
  payload.on('error', (error) => inflated.destroy(error));
  done(null, payload.pipe(inflated));
}

/** Each route its body limit: articles take long JSON, the console long forms. */
function limitRoute(route: RouteOptions): void {
  const url = route.url.toLowerCase();
  if (url === ARTICLE_ROUTES || url.startsWith(`${ARTICLE_ROUTES}/`)) {
    route.bodyLimit = ARTICLE_BODY_BYTES;
  } else if (CONSOLE_PATH.test(url)) {
    route.bodyLimit = CONSOLE_FORM.bytes;
  }
}

/**
 * The app's body parsers, replacing Fastify's: JSON (with the guards above) and urlencoded forms
 * are read and parsed; any other body (the import upload's XML, or anything a route does not
 * take) is left unread for the route to stream or ignore.
 */
export function installBodyParsers(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', limitRoute);
  fastify.addHook('preParsing', inflateBody);
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: JSON_BODY_BYTES },
    (request, body, done) => {
      try {
        done(null, parseJson(request, body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: READER_FORM.bytes },
    (request, body, done) => {
      try {
        done(null, parseForm(request, body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
}
