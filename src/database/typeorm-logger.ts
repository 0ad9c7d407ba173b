import { Logger as NestLogger } from '@nestjs/common';
import { Logger as TypeOrmLoggerInterface } from 'typeorm';

/** Long statements are cut: the log line names the query, it does not archive it. */
const QUERY_CHARS = 500;

function oneLine(query: string): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length > QUERY_CHARS ? `${flat.slice(0, QUERY_CHARS)}…` : flat;
}

function describe(error: string | Error): { error: string; code?: string } {
  if (typeof error === 'string') {
    return { error };
  }
  const code = (error as { code?: unknown }).code;
  return { error: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * TypeORM's output through the app's logger (JSON lines in production), one line per event.
 * Parameters are never written: they carry comment bodies, addresses and token hashes.
 */
export class TypeOrmLogger implements TypeOrmLoggerInterface {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {
    // Every query would be noise; failures and slow queries are logged below.
  }

  logQueryError(error: string | Error, query: string): void {
    this.logger.error({ message: 'query failed', ...describe(error), query: oneLine(query) });
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ message: 'slow query', ms: time, query: oneLine(query) });
  }

  logSchemaBuild(message: string): void {
    this.logger.debug?.(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    if (level === 'warn') {
      this.logger.warn(text);
    } else {
      this.logger.log(text);
    }
  }
}
