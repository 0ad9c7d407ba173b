import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { buildOpenApiDocument } from './openapi';
import { AppConfig } from '../config/app-config';
import { appRoot } from '../config/app-root';
import { LifecycleService } from '../health/lifecycle.service';
import { AccessLog } from './access-log';
import { installBodyParsers, nonUtf8Charset } from './body-parsers';
import { etagOnSend } from './etag';
import { hasBody, mediaTypeOf, pathOf } from './request-info';
import { installThreadCacheInvalidation, ThreadPageCache } from '../comments/thread-page-cache';
import { installThreadCacheHits } from '../comments/thread-cache-hits';
import { ReadRouting } from '../database/read-replica';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The one upload: an export file streamed to the admin import endpoint (bearer token only). */
const IMPORT_UPLOAD = '/api/admin/imports';
const API_PATH = /^\/api(\/|$)/i;

type Headers = Readonly<Record<string, string>>;

/**
 * The Fastify instance the app runs on (main.ts and the tests): proxies trusted for exactly
 * TRUST_PROXY_HOPS hops, and routes matched as Express matched them (any letter case, with or
 * without a trailing slash). Fastify's own logger stays off: the access log is ours. There is no
 * Nest middleware: what runs on every request is a Fastify hook (configureHttp), so the
 * middleware layer (@fastify/middie, a hook of its own matching every path) is never loaded.
 */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    // Express's `trust proxy = n`: the n addresses nearest to us are proxies.
    trustProxy:
      config.trustProxyHops > 0
        ? (_address: string, hop: number) => hop < config.trustProxyHops
        : false,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 2048 },
    logger: false,
    skipMiddie: true,
  });
}

/**
 * API writes take JSON only. Besides being the contract, this makes every cross-site write a
 * preflighted request: a form or text/plain body cannot reach an API route. The refusal, if any.
 */
function unsupportedApiBody(request: FastifyRequest, path: string): string | null {
  if (!WRITE_METHODS.has(request.method) || !hasBody(request)) {
    return null;
  }
  if (request.method === 'POST' && path.toLowerCase() === IMPORT_UPLOAD) {
    return null;
  }
  if (mediaTypeOf(request) !== 'application/json') {
    return 'send the body as application/json';
  }
  const charset = nonUtf8Charset(request.headers['content-type']);
  return charset
    ? `the body must be UTF-8 JSON; charset "${charset.slice(0, 40)}" is not supported`
    : null;
}

/**
 * The headers helmet sets, computed once: with no per-request directive they are the same for
 * every response, and setting a fixed list costs a fraction of running helmet's middlewares.
 */
function fixedHeaders(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  let called = false;
  void middleware({} as IncomingMessage, res as unknown as ServerResponse, () => {
    called = true;
  });
  if (!called) {
    throw new Error('helmet did not set its headers synchronously');
  }
  return headers;
}

/** The response headers that depend only on the path: security headers, and the console's. */
function headersByPath(config: AppConfig): (path: string) => Headers {
  // HSTS and upgrade-insecure-requests promise https: only a site served over https makes it.
  const https = config.publicUrl.startsWith('https:');
  const directives = {
    upgradeInsecureRequests: https ? [] : null,
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
  };
  const headers = (styleSrc: string[]) =>
    fixedHeaders(
      helmet({
        strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
        contentSecurityPolicy: { directives: { ...directives, styleSrc } },
        referrerPolicy: { policy: 'no-referrer' },
        crossOriginResourcePolicy: { policy: 'same-site' },
      }),
    );
  const strict = headers(["'self'"]);
  // Swagger UI sets style attributes from its scripts; only its page allows inline styles (no
  // inline script anywhere, and no user content on it).
  const docs = headers(["'self'", "'unsafe-inline'"]);
  // Console pages show moderators' data: never cached, never framed, never indexed.
  const console: Headers = { ...strict, 'cache-control': 'no-store', 'x-robots-tag': 'noindex' };
  return (path) =>
    path === '/api/docs' || path.startsWith('/api/docs/')
      ? docs
      : /^\/admin(\/|$)/i.test(path)
        ? console
        : strict;
}

/**
 * The one hook every request passes first: request id, the headers of its path, draining notice,
 * the access-log line (written in batches) for a client that leaves before its answer, and the
 * 415 of an API write that is not JSON (before authentication). The headers are the reply's
 * (set once, when it is sent); a route that writes to the socket itself takes them along
 * (takeOver in request-info.ts).
 */
function requestContext(
  log: AccessLog,
  headersFor: (path: string) => Headers,
  lifecycle: LifecycleService,
) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const path = pathOf(request);
    const incoming = request.headers['x-request-id'];
    const id =
      typeof incoming === 'string' && /^[\w.-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    reply.headers(headersFor(path));
    reply.header('x-request-id', id);
    // While draining, keep-alive clients are told to reconnect (to another instance).
    if (lifecycle.shuttingDown) {
      reply.header('connection', 'close');
    }
    log.start(request, reply, id, path);
    if (API_PATH.test(path)) {
      const refusal = unsupportedApiBody(request, path);
      if (refusal) {
        void reply
          .code(415)
          .send({ statusCode: 415, error: 'Unsupported Media Type', message: refusal });
        return;
      }
    }
    done();
  };
}

/**
 * Slow clients cannot pin sockets: headers must arrive within headersTimeout and the whole
 * request within requestTimeout (node answers 408 and closes), idle keep-alive sockets close after
 * keepAliveTimeout. Node checks those deadlines every connectionsCheckingInterval (30 s by
 * default, read when the server starts listening), so it is tightened to match.
 */
function boundSockets(server: Server, config: AppConfig): void {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = config.http;
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = requestTimeoutMs;
  server.keepAliveTimeout = keepAliveTimeoutMs;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.min(1000, Math.floor(headersTimeoutMs / 2));
}

/** Everything between the socket and the controllers, shared by main.ts and the tests. */
export async function configureHttp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  boundSockets(app.getHttpServer(), config);
  const log = new AccessLog(config.logLevel === 'info' || config.logLevel === 'debug');
  fastify.addHook(
    'onRequest',
    requestContext(log, headersByPath(config), app.get(LifecycleService)),
  );
  app.get(ReadRouting).install(fastify);
  installThreadCacheInvalidation(fastify, app.get(ThreadPageCache));
  installThreadCacheHits(fastify, app.get(ThreadPageCache));
  fastify.addHook('onSend', etagOnSend);
  installBodyParsers(fastify);
  await app.register(fastifyStatic, {
    root: join(appRoot, 'public'),
    prefix: '/assets/',
    maxAge: 3_600_000,
    index: false,
    decorateReply: false,
  });

  SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/docs-json',
    // No badge fetched from a third party's validator.
    swaggerOptions: { validatorUrl: null },
  });
}
