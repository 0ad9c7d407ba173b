import { DataSource } from 'typeorm';

/** Arbitrary constant shared by every instance: whoever holds it is the one migrating. */
const MIGRATION_LOCK_KEY = 7_216_355_110;

/**
 * Applies pending migrations. On a PostgreSQL server several instances may start at once, so the
 * work is serialized by a session-level advisory lock held on a dedicated connection; the ones that
 * wait find nothing left to do. PGlite is single-process and needs no lock.
 */
export async function migrate(dataSource: DataSource, embedded: boolean): Promise<string[]> {
  if (embedded) {
    return (await dataSource.runMigrations()).map((m) => m.name);
  }
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
