import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * Where one request's reads may go, decided once by ReadRouting's onRequest hook and handed down
 * explicitly: controllers take it with `@Reads()`, and every service or repository method that
 * may read from the replica takes it as a parameter. It once was an AsyncLocalStorage, whose
 * first `run` turns on promise hooks for the whole process on Node < 24: every promise then paid
 * a hook call (the no-op route 20,000 req/s with it, 27,000 without; 1.04 vs 0.80 ms of app CPU
 * per comment POST). eslint.config.mjs keeps it out of src/.
 */
export interface ReadContext {
  /** A public GET: may be served from the replica. */
  readonly publicRead: boolean;
  /** This client wrote recently: read from the primary, skip caches. */
  readonly freshWriter: boolean;
}

/**
 * For reads outside a public GET: jobs, writes, what is read to decide a write, pages rendered
 * again after a form post. They see the primary, and through the caches.
 */
export const PRIMARY_READS: ReadContext = Object.freeze({ publicRead: false, freshWriter: false });

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by ReadRouting.onRequest; null only before that hook has run. */
    reads: ReadContext | null;
  }
}

/** The request's ReadContext, for a controller to pass down. */
export const Reads = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ReadContext =>
    context.switchToHttp().getRequest<FastifyRequest>().reads ?? PRIMARY_READS,
);
