import { DataSource } from 'typeorm';
import { DatabaseConfig, sessionUrl } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/** Arbitrary constant shared by every instance: whoever holds it is the one migrating. */
const MIGRATION_LOCK_KEY = 7_216_355_110;

/**
 * Applies pending migrations. On a PostgreSQL server several instances may start at once, so the
 * work is serialized by a session-level advisory lock held on a dedicated connection; the ones that
 * wait find nothing left to do. PGlite is single-process and needs no lock.
 *
 * A session lock means nothing through a transaction pooler (PgBouncer hands the server connection
 * to someone else after each statement, lock included), so when DATABASE_DIRECT_URL differs from
 * DATABASE_URL the lock and the migrations run on a short-lived DataSource of their own over it.
 * `false` means "a PostgreSQL server, over this DataSource" (tests that build their own).
 */
export async function migrate(
  dataSource: DataSource,
  db: DatabaseConfig | false,
): Promise<string[]> {
  if (db === false || db.kind === 'postgres') {
    const direct = db && sessionUrl(db) !== db.url ? sessionUrl(db) : null;
    if (!direct) {
      return migrateLocked(dataSource);
    }
    const session = await new DataSource(
      dataSourceOptions({ kind: 'postgres', url: direct, poolSize: 2 }),
    ).initialize();
    try {
      return await migrateLocked(session);
    } finally {
      await session.destroy();
    }
  }
  return (await dataSource.runMigrations()).map((m) => m.name);
}

async function migrateLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return (await dataSource.runMigrations()).map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
