import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PagesService } from '../web/pages.service';
import { RateLimitedException } from '../common/rate-limit';
import { FieldError } from '../common/validation-errors';
import { bodyErrorOf } from './body-parsers';
import { constraintStatus, isDatabaseUnavailable, unavailableMessage } from './database-errors';
import { pathOf, prefersJson } from './request-info';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** Validation failures: one entry per invalid field. */
  errors?: FieldError[];
}

function fromHttpException(exception: HttpException): ErrorBody {
  const status = exception.getStatus();
  const response = exception.getResponse();
  const error = STATUS_CODES[status] ?? 'Error';
  if (typeof response === 'string') {
    return { statusCode: status, error, message: response };
  }
  const { message: raw, errors } = response as { message?: unknown; errors?: FieldError[] };
  if (Array.isArray(errors)) {
    return { statusCode: status, error, message: String(raw), errors };
  }
  if (Array.isArray(raw)) {
    return { statusCode: status, error, message: raw.map(String).join('; ') };
  }
  return { statusCode: status, error, message: typeof raw === 'string' ? raw : exception.message };
}

/** One line about an error for the log: its name, SQLSTATE and message, never its parameters. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
}

/**
 * The one place errors become responses: `{statusCode, error, message}` JSON under /api, a page
 * elsewhere. Database constraint violations become 409/422, an unreachable database 503.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly pages: PagesService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<FastifyRequest>();
    const response = context.getResponse<FastifyReply>();
    // A body that could not be read or parsed is refused before routing, in the API's shape.
    const early = bodyErrorOf(exception);
    const body = this.toBody(early ?? exception, request);
    if (response.sent || response.raw.headersSent) {
      return;
    }
    if (body.statusCode === 503) {
      response.header('Retry-After', '5');
    }
    if (exception instanceof RateLimitedException) {
      response.header('Retry-After', String(exception.retryAfterSeconds));
    }
    if (early || pathOf(request).startsWith('/api') || prefersJson(request)) {
      void response.status(body.statusCode).send(body);
      return;
    }
    const heading = body.statusCode === 404 ? 'Page not found' : body.error;
    const message =
      body.statusCode === 404
        ? 'There is nothing at this address. It may have moved or been unpublished.'
        : body.statusCode >= 500
          ? 'Something went wrong on our side. Please try again in a moment.'
          : body.message;
    void response
      .status(body.statusCode)
      .type('text/html; charset=utf-8')
      .send(this.pages.render('error', { title: heading, heading, message }));
  }

  private toBody(exception: unknown, request: FastifyRequest): ErrorBody {
    if (exception instanceof HttpException) {
      return fromHttpException(exception);
    }
    const constraint = constraintStatus(exception);
    if (constraint) {
      return {
        statusCode: constraint.status,
        error: STATUS_CODES[constraint.status] ?? 'Error',
        message: constraint.message,
      };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(
        `database unavailable during ${request.method} ${pathOf(request)}: ${describe(exception)}`,
      );
      return {
        statusCode: 503,
        error: 'Service Unavailable',
        message: unavailableMessage(exception),
      };
    }
    this.logger.error(
      `unhandled error during ${request.method} ${pathOf(request)}`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return { statusCode: 500, error: 'Internal Server Error', message: 'internal error' };
  }
}
