import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { EntityManager, QueryFailedError } from 'typeorm';

/** Distinct statement texts remembered; past that, a text is hashed again when it comes back. */
const MAX_KNOWN = 512;
const known = new Map<string, string>();

/** The statement's name: the same text always gets the same name, on every connection. */
function nameOf(text: string): string {
  let name = known.get(text);
  if (name === undefined) {
    name = `mg_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    if (known.size >= MAX_KNOWN) {
      known.clear();
    }
    known.set(text, name);
  }
  return name;
}

/**
 * Runs one of the hot paths' large statements (the comment POST's two, a few kilobytes of SQL
 * each) as a named prepared statement when `prepared` is on: each pooled connection sends the
 * text and PostgreSQL parses and plans it once, and every later run sends only its name and
 * parameters. Measured on the POST, that took its database CPU from about 2.5 to 1.4 ms.
 *
 * Off (DATABASE_PREPARED_STATEMENTS=off) for a pooler that moves a client between server
 * sessions without carrying its prepared statements (PgBouncer before 1.21 in transaction mode),
 * and never on embedded PGlite: then the text is sent every time, as TypeORM does. The answer and
 * the failures are TypeORM's either way: the rows, a QueryFailedError carrying the driver's error,
 * and failed and slow statements logged through the data source's logger.
 */
export async function queryPrepared<T>(
  manager: EntityManager,
  text: string,
  params: unknown[],
  prepared: boolean,
): Promise<T> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  const own = !manager.queryRunner;
  try {
    const connection: unknown = await runner.connect();
    if (!prepared || !(connection instanceof Client)) {
      return (await runner.query(text, params)) as T;
    }
    const { logger, options } = manager.connection;
    const started = Date.now();
    try {
      const result = await connection.query({ name: nameOf(text), text, values: params });
      const ms = Date.now() - started;
      if (options.maxQueryExecutionTime && ms > options.maxQueryExecutionTime) {
        logger.logQuerySlow(ms, text, params, runner);
      }
      return result.rows as T;
    } catch (error) {
      logger.logQueryError(error as Error, text, params, runner);
      throw new QueryFailedError(text, params, error as Error);
    }
  } finally {
    if (own) {
      await runner.release();
    }
  }
}
