/** node-postgres / PostgreSQL failures that mean "the database is not reachable right now". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
]);

const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connect ECONNREFUSED|Client has encountered a connection error/i;

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const withCode = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = withCode.driverError?.code ?? withCode.code;
  return typeof code === 'string' ? code : undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = errorCode(error);
  if (code && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) {
    return true;
  }
  return error instanceof Error && UNAVAILABLE_MESSAGES.test(error.message);
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
