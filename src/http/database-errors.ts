import {
  isConnectFailure,
  isLostConnection,
  isRetryableConflict,
  TransactionAbandonedError,
} from '../database/transactions';

/**
 * SQLSTATE classes that say "the database cannot serve this right now", not "this request is
 * wrong": 08 connection exception, 53 insufficient resources, 55 object not in prerequisite state
 * (lock_not_available, a database in recovery), 57 operator intervention (admin_shutdown,
 * cannot_connect_now, query_canceled by statement_timeout), 58 system error; and 25P03, a session
 * killed for idling in a transaction.
 */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '55', '57', '58']);

const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connect ECONNREFUSED|Client has encountered a connection error|Client was closed/i;

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const withCode = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = withCode.driverError?.code ?? withCode.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether an error means "the database is not available right now" (answered 503 with
 * Retry-After), as opposed to a bug (500). The one place this is decided.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof TransactionAbandonedError) {
    return true;
  }
  if (isRetryableConflict(error) || isLostConnection(error) || isConnectFailure(error)) {
    return true;
  }
  const code = errorCode(error);
  if (code && (UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || code === '25P03')) {
    return true;
  }
  return error instanceof Error && UNAVAILABLE_MESSAGES.test(error.message);
}

/** The 503 message: contention is "busy", everything else "unavailable". */
export function unavailableMessage(error: unknown): string {
  const contention =
    (error instanceof TransactionAbandonedError && error.reason === 'contention') ||
    isRetryableConflict(error);
  return contention
    ? 'the database is busy; try again shortly'
    : 'the database is unavailable; try again shortly';
}

/** Constraint violations the caller caused: mapped to 409/422 instead of leaking as 500. */
export function constraintStatus(error: unknown): { status: number; message: string } | null {
  switch (errorCode(error)) {
    case '23505':
      return { status: 409, message: 'this conflicts with something that exists already' };
    case '23503':
      return { status: 422, message: 'this refers to something that does not exist' };
    case '23514':
      return { status: 422, message: 'this breaks a rule of the data model' };
    default:
      return isDataException(error)
        ? { status: 400, message: 'a value cannot be stored as given' }
        : null;
  }
}

/**
 * SQLSTATE class 22, "data exception" (invalid text, out-of-range numbers and datetimes, bad
 * encodings…): a value from the client that PostgreSQL refused. Input is validated before it gets
 * here; whatever still slips through is the client's error, a 400, never a 500.
 */
export function isDataException(error: unknown): boolean {
  return errorCode(error)?.startsWith('22') ?? false;
}
