import { randomUUID } from 'node:crypto';
import { Server, STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { buildOpenApiDocument } from './openapi';
import { AppConfig } from '../config/app-config';
import { appRoot } from '../config/app-root';
import { assertSafeJson } from '../common/json-body';
import { LifecycleService } from '../health/lifecycle.service';
import { AccessLog } from './access-log';
import { clearThreadCacheOnWrite, ThreadPageCache } from '../comments/thread-page-cache';

export const JSON_BODY_LIMIT = '64kb';
/**
 * Articles may hold 200,000 characters (docs/API.md): up to 6 bytes of JSON each when a client
 * escapes every non-ASCII character as \uXXXX, plus the title and summary.
 */
export const ARTICLE_BODY_LIMIT = '1300kb';
export const ARTICLE_ROUTES = '/api/admin/articles';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * API writes take JSON only. Besides being the contract, this makes every cross-site write a
 * preflighted request: a form or text/plain body cannot reach an API route.
 */
function requireJson(req: Request, res: Response, next: NextFunction): void {
  // The one upload: an export file streamed to the admin import endpoint (bearer token only).
  if (req.method === 'POST' && req.path.toLowerCase() === '/admin/imports') {
    next();
    return;
  }
  if (WRITE_METHODS.has(req.method) && hasBody(req)) {
    const unsupported = !req.is('application/json')
      ? 'send the body as application/json'
      : nonUtf8Charset(req);
    if (unsupported) {
      res
        .status(415)
        .json({ statusCode: 415, error: 'Unsupported Media Type', message: unsupported });
      return;
    }
  }
  next();
}

/** JSON is UTF-8 (RFC 8259 §8.1): any other declared charset is refused, saying so. */
function nonUtf8Charset(req: Request): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(req.headers['content-type'] ?? '');
  const charset = match?.[1].toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8'
    ? null
    : `the body must be UTF-8 JSON; charset "${charset.slice(0, 40)}" is not supported`;
}

function guardJson(req: Request, _res: Response, next: NextFunction): void {
  try {
    if (req.body !== undefined && req.is('application/json')) {
      assertSafeJson(req.body);
    }
    next();
  } catch (error) {
    next(error);
  }
}

/** Errors raised before routing (body parsing, the JSON guard) answered in the API's shape. */
function earlyErrors(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error);
    return;
  }
  const candidate = error as {
    status?: number;
    getStatus?: () => number;
    message?: string;
    type?: string;
  };
  const raw = candidate.getStatus?.() ?? candidate.status ?? 400;
  const status = raw >= 400 && raw < 500 ? raw : 400;
  const message =
    status === 413
      ? 'request body too large'
      : candidate.type === 'charset.unsupported' || candidate.type === 'encoding.unsupported'
        ? `the body must be UTF-8; ${String(candidate.message)}`
        : candidate.getStatus
          ? String(candidate.message)
          : 'request body is not valid JSON';
  res.status(status).json({
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Bad Request',
    message,
  });
}

/**
 * The headers helmet sets, computed once: with no per-request directive they are the same for
 * every response, and setting a fixed list costs a fraction of running helmet's middlewares.
 */
function fixedHeaders(middleware: ReturnType<typeof helmet>): [string, string][] {
  const headers: [string, string][] = [];
  const res = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  let called = false;
  void middleware({} as Request, res as unknown as Response, () => {
    called = true;
  });
  if (!called) {
    throw new Error('helmet did not set its headers synchronously');
  }
  return headers;
}

/**
 * The one middleware every request passes first: request id, security headers, draining notice,
 * and the access-log line written (in batches) when the response finishes.
 */
function requestContext(
  log: AccessLog,
  headersFor: (req: Request) => [string, string][],
  lifecycle: LifecycleService,
) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const id =
      typeof incoming === 'string' && /^[\w.-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    for (const [name, value] of headersFor(req)) {
      res.setHeader(name, value);
    }
    // While draining, keep-alive clients are told to reconnect (to another instance).
    if (lifecycle.shuttingDown) {
      res.setHeader('Connection', 'close');
    }
    if (log.enabled) {
      const started = process.hrtime.bigint();
      // Read now: once an upload is refused mid-body (a 413) the socket is gone by 'finish', and
      // req.ip would throw there, an uncaught exception that ends the process.
      const ip = req.ip;
      const entry = (status: number) => ({
        requestId: id,
        method: req.method,
        // The path only: query strings can carry confirm and unsubscribe tokens.
        path: req.path,
        status,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ip,
      });
      res.on('finish', () => log.write(entry(res.statusCode)));
      // The client went away before the whole answer was sent (nginx's 499, "client closed").
      res.on('close', () => {
        if (!res.writableFinished) {
          log.write({ ...entry(499), aborted: true });
        }
      });
    }
    next();
  };
}

/** A body parser that is not even entered by a request without a body (every GET). */
function onlyWithBody(
  parser: (req: Request, res: Response, next: NextFunction) => void,
): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => (hasBody(req) ? parser(req, res, next) : next());
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
export function configureHttp(app: NestExpressApplication, config: AppConfig): void {
  // Believe X-Forwarded-For only from the configured number of proxies in front of us.
  app.set('trust proxy', config.trustProxyHops);
  app.disable('x-powered-by');
  boundSockets(app.getHttpServer(), config);
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
  const security = (req: Request) =>
    req.path === '/api/docs' || req.path.startsWith('/api/docs/') ? docs : strict;
  const log = new AccessLog(config.logLevel === 'info' || config.logLevel === 'debug');
  app.use(requestContext(log, security, app.get(LifecycleService)));
  app.use(clearThreadCacheOnWrite(app.get(ThreadPageCache)));
  app.use('/api', requireJson);
  // Each route its own limit: the body parser that runs first wins, the next one skips.
  app.use(
    ARTICLE_ROUTES,
    onlyWithBody(express.json({ limit: ARTICLE_BODY_LIMIT, type: 'application/json' })),
  );
  app.use(onlyWithBody(express.json({ limit: JSON_BODY_LIMIT, type: 'application/json' })));
  // Forms on the reader pages (no-JavaScript posting, unsubscribe, confirm) are small; the
  // console's carry article bodies, newsletters and up to 1,000 selected comment ids.
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  const consoleForm = express.urlencoded({
    extended: false,
    limit: '256kb',
    parameterLimit: 1100,
  });
  app.use(
    onlyWithBody((req: Request, res: Response, next: NextFunction) =>
      req.path.startsWith('/api')
        ? next()
        : /^\/admin(\/|$)/i.test(req.path)
          ? consoleForm(req, res, next)
          : form(req, res, next),
    ),
  );
  app.use(guardJson);
  app.use(earlyErrors);
  app.use('/assets', express.static(join(appRoot, 'public'), { maxAge: '1h', index: false }));

  SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/docs-json',
    // No badge fetched from a third party's validator.
    swaggerOptions: { validatorUrl: null },
  });
}
