import { Logger, LoggerService } from '@nestjs/common';

function line(level: string, message: unknown, context: unknown): string {
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  return `${level}${typeof context === 'string' ? ` [${context}]` : ''} ${text}\n`;
}

/**
 * A command's stdout carries its answer only (a token, a report), so scripts can read it:
 * library logs (TypeORM's, through the Nest logger) go to stderr, warnings and errors only.
 */
class StderrLogger implements LoggerService {
  log(): void {}

  debug(): void {}

  verbose(): void {}

  warn(message: unknown, context?: unknown): void {
    process.stderr.write(line('warn', message, context));
  }

  error(message: unknown, ...rest: unknown[]): void {
    process.stderr.write(line('error', message, rest.at(-1)));
  }
}

export function logToStderrOnly(): void {
  Logger.overrideLogger(new StderrLogger());
}
