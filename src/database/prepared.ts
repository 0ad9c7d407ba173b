import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { EntityManager, QueryFailedError } from 'typeorm';
import type { AppConfig } from '../config/app-config';

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

/** Whether queryPrepared runs statements by name: on PostgreSQL, unless turned off. */
export function preparedStatementsOn(config: AppConfig): boolean {
  return config.database.kind === 'postgres' && config.database.preparedStatements;
}

/** What a statement's text is built from: flags, fragments, and lists of fragments. */
type TextPart = boolean | string | null | readonly string[];

/** At most this many texts are kept by one StatementTexts; past that it starts afresh. */
const MAX_TEXTS = 16;

/**
 * The texts of a statement built from parts that rarely change, kept so that the same parts give
 * the same string. Naming a statement (nameOf) hashes its text and pg compares it with the text it
 * prepared: for a string seen before both are immediate (V8 keeps a string's hash, and the same
 * string is equal at once), for a new string of the same text each is a pass over its kilobytes.
 * Parts are compared with === (a list element by element), which is immediate for the same
 * strings from call to call, as constants and the lists their owners keep are.
 */
export class StatementTexts {
  private readonly texts: { parts: readonly TextPart[]; text: string }[] = [];

  /** The text `build` makes of `parts`, built once for the same parts. */
  of(parts: readonly TextPart[], build: () => string): string {
    const kept = this.texts.find((entry) => sameParts(entry.parts, parts));
    if (kept) {
      return kept.text;
    }
    if (this.texts.length >= MAX_TEXTS) {
      this.texts.length = 0;
    }
    const text = build();
    this.texts.push({ parts, text });
    return text;
  }
}

function sameParts(a: readonly TextPart[], b: readonly TextPart[]): boolean {
  return a.length === b.length && a.every((part, i) => samePart(part, b[i]));
}

function samePart(a: TextPart, b: TextPart): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a === b || (a.length === b.length && a.every((item, i) => item === b[i]));
  }
  return a === b;
}

/**
 * Runs one of the hot paths' large statements (the comment POST's, a few kilobytes of SQL
 * each) as a named prepared statement when `prepared` is on: each pooled connection sends the
 * text and PostgreSQL parses it once, and every later run sends only its name and parameters.
 * PostgreSQL also plans it once, and reuses the plan, as long as that plan is estimated to cost no
 * more than one made for the values given: a statement whose estimate depends on the values (an
 * array parameter, a branch a NULL removes) is planned anew on every run instead (see writeSql in
 * src/comments/comment-arrival.repository.ts). Measured on the POST, naming its statements took
 * its database CPU from about 2.5 to 1.4 ms, and reusing their plans from 3.2 to 1.0.
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
