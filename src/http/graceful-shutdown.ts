import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '../config/app-config';
import { LifecycleService } from '../health/lifecycle.service';

/** Longest wait for in-flight requests once the listener is closed. */
const DRAIN_DEADLINE_MS = 25_000;

/**
 * SIGTERM: /api/health answers 503 at once; requests are still served (with `Connection: close`)
 * for SHUTDOWN_DELAY_MS so a load balancer sees the 503 and stops routing here; then the listener
 * closes, idle keep-alive sockets are closed, in-flight requests finish, the app closes (database
 * pool last) and the process exits 0. SIGINT (Ctrl-C at a terminal) skips the delay. A deadline
 * guards against a request that never ends.
 */
export function installGracefulShutdown(app: NestFastifyApplication, config: AppConfig): void {
  const logger = new Logger('Shutdown');
  let started = false;
  const close = () => {
    const server = app.getHttpServer();
    const deadline = setTimeout(() => {
      logger.warn('drain deadline passed; exiting with requests still open');
      process.exit(1);
    }, DRAIN_DEADLINE_MS);
    deadline.unref();
    server.close(() => {
      app
        .close()
        .then(() => {
          logger.log('drained; exiting');
          process.exit(0);
        })
        .catch((error: unknown) => {
          logger.error(`error while closing: ${String(error)}`);
          process.exit(1);
        });
    });
    server.closeIdleConnections();
  };
  const shutdown = (signal: NodeJS.Signals) => {
    if (started) {
      return;
    }
    started = true;
    app.get(LifecycleService).beginShutdown();
    const delay = signal === 'SIGTERM' ? config.shutdownDelayMs : 0;
    logger.log(`${signal} received: health answers 503; closing in ${delay} ms`);
    setTimeout(close, delay);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
