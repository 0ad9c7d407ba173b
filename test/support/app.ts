import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { configureHttp, createHttpAdapter } from '../../src/http/configure-http';
import { createTestDatabase } from './postgres';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** A route as Fastify registered it. */
export interface AppRoute {
  method: string;
  path: string;
}

export interface TestApp {
  app: NestFastifyApplication;
  /** Every route the app has (HEAD twins left out), as registered: `/api/admin/comments/:id`. */
  routes: AppRoute[];
  http: Server;
  config: AppConfig;
  dataSource: DataSource;
  databaseUrl: string;
  admin: { Authorization: string };
  close(): Promise<void>;
}

/**
 * Boots the real AppModule on a fresh database of its own (migrated by the app at start), the
 * way main.ts does, minus the listening socket: supertest drives the HTTP server directly.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: { databaseUrl?: string } = {},
): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    RATE_LIMIT: 'off',
    MAIL_DISPATCHER: 'off',
    WEBHOOK_DISPATCHER: 'off',
    MODERATION: 'none',
    // Tests change data behind the API's back (services, SQL); the cache has a test of its own.
    THREAD_CACHE_MS: '0',
    LOG_LEVEL: 'error',
    PUBLIC_URL: 'http://marginalia.test',
    DATA_DIR: '/tmp/marginalia-test-data',
    ...env,
  });
  return { ...(await bootApp(config)), databaseUrl };
}

/**
 * Boots the app on embedded PGlite in `dataDir` (no DATABASE_URL), as `npm start` does on a
 * fresh machine. Close it before booting another on the same directory: PGlite is one process.
 */
export async function createEmbeddedTestApp(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<Omit<TestApp, 'databaseUrl'>> {
  return bootApp(
    loadConfig({
      ADMIN_TOKEN,
      RATE_LIMIT: 'off',
      MAIL_DISPATCHER: 'off',
      MODERATION: 'none',
      THREAD_CACHE_MS: '0',
      LOG_LEVEL: 'error',
      PUBLIC_URL: 'http://marginalia.test',
      DATA_DIR: dataDir,
      ...env,
    }),
  );
}

async function bootApp(config: AppConfig): Promise<Omit<TestApp, 'databaseUrl'>> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createHttpAdapter(config),
    { bodyParser: false, logger: ['error'] },
  );
  const routes: AppRoute[] = [];
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD') {
          routes.push({ method, path: route.url });
        }
      }
    });
  await configureHttp(app, config);
  await app.init();
  // supertest drives the server without listen(): Fastify must have loaded its plugins first.
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    routes,
    http: app.getHttpServer(),
    config,
    dataSource: app.get(DataSource),
    admin: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    close: () => app.close(),
  };
}
