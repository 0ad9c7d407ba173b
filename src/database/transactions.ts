import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * The one way Marginalia runs a transaction (an ESLint rule forbids `dataSource.transaction` and
 * `manager.transaction` elsewhere).
 *
 * Lock order. Every transaction takes its row locks in this order, and no wider than it needs:
 *   1. advisory locks keyed by the writer (a voter on a comment, a subscriber's address, a
 *      notification recipient), each family in sorted key order;
 *   2. the comment rows it decides on (FOR UPDATE, or the row lock of an UPDATE), in id order
 *      when there are several;
 *   3. the reply counters of those comments' ancestors, in id order;
 *   4. notification ledger, digest and outbox rows;
 *   5. last, just before COMMIT, the counter shards of the articles whose counts moved
 *      (src/comments/article-counters.ts), in (article, block) order.
 * Nothing locks an article row FOR UPDATE: writes on comments hold a KEY SHARE lock on their
 * article through the foreign key, which FOR UPDATE would wait for (and deadlock with). No write
 * updates the article row for its counters either: they are added to one of the article's counter
 * shards, picked at random, as the transaction's last statement, so a busy article's writers
 * rarely meet on a row, and then only for the commit's round trip.
 *
 * A new comment is one statement (src/comments/comment-arrival.repository.ts): it locks the
 * ancestors in id order (step 3, the parent's status read under that lock), then its body's
 * double-submit claim (a row keyed by the writer, taken after the ancestors by every post alike),
 * then its counter shard (step 5).
 *
 * What remains (two moderators deciding overlapping threads in different orders, say) is broken
 * by PostgreSQL as a deadlock (40P01) or a serialization failure (40001); such a transaction is
 * rolled back and rerun here, up to CONFLICT_ATTEMPTS times with a small jittered backoff, and
 * then answered 503. A transaction whose connection died before COMMIT was sent certainly rolled
 * back and is rerun once; one that died after COMMIT was sent may have committed, so it is not
 * rerun and is answered 503.
 */
export const CONFLICT_ATTEMPTS = 5;
const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 200;
const RETRYABLE_CONFLICTS = new Set(['40001', '40P01']);

/** Why a transaction was given up; the HTTP layer answers 503 for both. */
export class TransactionAbandonedError extends Error {
  constructor(
    readonly reason: 'contention' | 'commit-unknown',
    override readonly cause: unknown,
  ) {
    super(
      reason === 'contention'
        ? `transaction abandoned after ${CONFLICT_ATTEMPTS} conflicting attempts`
        : 'the connection died while COMMIT was in flight; the outcome is unknown',
    );
    this.name = 'TransactionAbandonedError';
  }
}

export function sqlState(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const found = e?.driverError?.code ?? e?.code;
  return typeof found === 'string' ? found : undefined;
}

export function isRetryableConflict(error: unknown): boolean {
  return RETRYABLE_CONFLICTS.has(sqlState(error) ?? '');
}

const LOST_CONNECTION_MESSAGES =
  /Connection terminated|connection error|not queryable|Query read timeout|already released/i;

/** The session is gone: the server or the network dropped it, or TypeORM released it for that. */
export function isLostConnection(error: unknown): boolean {
  const code = sqlState(error) ?? '';
  if (code.startsWith('08') || code.startsWith('57P') || /^E[A-Z]+$/.test(code)) {
    return true;
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (
    name === 'QueryRunnerAlreadyReleasedError' ||
    name === 'QueryRunnerProviderAlreadyReleasedError'
  ) {
    return true;
  }
  return error instanceof Error && LOST_CONNECTION_MESSAGES.test(error.message);
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', '57P03', '53300']);

/** No connection could be had at all: rerunning at once would only fail the same way. */
export function isConnectFailure(error: unknown): boolean {
  return (
    CONNECT_FAILURES.has(sqlState(error) ?? '') ||
    (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message))
  );
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown; commitSent: boolean };

async function attempt<T>(
  runner: QueryRunner,
  work: (manager: EntityManager) => Promise<T>,
): Promise<Outcome<T>> {
  let commitSent = false;
  try {
    await runner.startTransaction();
    const value = await work(runner.manager);
    // TypeORM refuses to send anything on a runner it released after a connection error.
    commitSent = !runner.isReleased;
    await runner.commitTransaction();
    return { ok: true, value };
  } catch (error) {
    if (runner.isTransactionActive && !runner.isReleased) {
      // A failed rollback (the connection is gone) must not hide the error that matters.
      await runner.rollbackTransaction().catch(() => undefined);
    }
    return { ok: false, error, commitSent };
  } finally {
    await runner.release().catch(() => undefined);
  }
}

/**
 * Runs `work` in a transaction of its own and returns its result once committed. `work` may run
 * more than once (see above), so it must start from scratch each time: no side effects outside
 * the manager it is given until this resolves.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  let conflicts = 0;
  let lostBeforeCommit = 0;
  for (;;) {
    const outcome = await attempt(dataSource.createQueryRunner(), work);
    if (outcome.ok) {
      return outcome.value;
    }
    const { error, commitSent } = outcome;
    if (isRetryableConflict(error)) {
      conflicts += 1;
      if (conflicts >= CONFLICT_ATTEMPTS) {
        throw new TransactionAbandonedError('contention', error);
      }
      const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** conflicts);
      await sleep(Math.random() * ceiling);
      continue;
    }
    if (isLostConnection(error) && !isConnectFailure(error)) {
      if (commitSent) {
        throw new TransactionAbandonedError('commit-unknown', error);
      }
      lostBeforeCommit += 1;
      if (lostBeforeCommit <= 1) {
        continue;
      }
    }
    throw error;
  }
}

/**
 * Runs one statement on its own (PostgreSQL commits it by itself, atomically), with the conflict
 * retries of inTransaction(). A statement whose connection died may have committed, so it is
 * never rerun after that: it is given up as 'commit-unknown' (503).
 */
export async function inStatement<T>(run: () => Promise<T>): Promise<T> {
  for (let conflicts = 1; ; conflicts += 1) {
    try {
      return await run();
    } catch (error) {
      if (isRetryableConflict(error)) {
        if (conflicts >= CONFLICT_ATTEMPTS) {
          throw new TransactionAbandonedError('contention', error);
        }
        await sleep(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** conflicts));
        continue;
      }
      if (isLostConnection(error) && !isConnectFailure(error)) {
        throw new TransactionAbandonedError('commit-unknown', error);
      }
      throw error;
    }
  }
}
