import { mkdirSync } from 'node:fs';
import { DataSourceOptions } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { DatabaseConfig, PostgresConfig } from '../config/app-config';
import { lockEmbeddedDatabase } from './embedded-lock';
import { entities, migrations } from './schema';
import { TypeOrmLogger } from './typeorm-logger';

/**
 * The one definition of how Marginalia talks to PostgreSQL, shared by the app and the TypeORM CLI.
 */
export function dataSourceOptions(
  db: Exclude<DatabaseConfig, PostgresConfig> | Pick<PostgresConfig, 'kind' | 'url' | 'poolSize'>,
): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    migrationsRun: false,
    // The schema (gen_random_uuid() is core since PostgreSQL 13) comes from migrations alone.
    installExtensions: false,
    logging: ['error' as const, 'warn' as const],
    // One JSON line per failure through the app's logger, never TypeORM's multi-line console.
    logger: new TypeOrmLogger(),
    maxQueryExecutionTime: 2000,
  };
  if (db.kind === 'pglite') {
    mkdirSync(db.dataDir, { recursive: true });
    lockEmbeddedDatabase(db.dataDir);
    return { ...common, driver: new PGliteDriver({ dataDir: db.dataDir }).driver };
  }
  return {
    ...common,
    url: db.url,
    // Client-side bounds: a half-open connection or a stopped server must fail a request quickly
    // instead of hanging it (server-side statement_timeout cannot fire on a dead socket).
    extra: {
      max: db.poolSize,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 10000,
      query_timeout: 5000,
      statement_timeout: 4000,
      idle_in_transaction_session_timeout: 10000,
      keepAlive: true,
      application_name: 'marginalia',
    },
  };
}
