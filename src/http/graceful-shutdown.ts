import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { LifecycleService } from '../health/lifecycle.service';

const DRAIN_DEADLINE_MS = 25_000;

/**
 * SIGTERM/SIGINT: report 503 on /api/health at once, stop accepting connections, let in-flight
 * requests finish (idle keep-alive sockets are closed, busy ones are not cut), close the app,
 * exit. A deadline guards against a request that never ends.
 */
export function installGracefulShutdown(app: NestExpressApplication): void {
  const logger = new Logger('Shutdown');
  let started = false;
  const shutdown = (signal: string) => {
    if (started) {
      return;
    }
    started = true;
    logger.log(`${signal} received: draining`);
    app.get(LifecycleService).beginShutdown();
    const server = app.getHttpServer();
    const deadline = setTimeout(() => {
      logger.warn('drain deadline passed; exiting with requests still open');
      process.exit(1);
    }, DRAIN_DEADLINE_MS);
    deadline.unref();
    server.close(() => {
      app
        .close()
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          logger.error(`error while closing: ${String(error)}`);
          process.exit(1);
        });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
