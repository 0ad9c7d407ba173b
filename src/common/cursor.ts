import { BadRequestException } from '@nestjs/common';

/**
 * Opaque keyset cursors: base64url of a JSON array of the sort key values of the last item.
 * A cursor comes back from the client, so it is decoded against a typed schema and every value
 * is range-checked before it reaches SQL: a forged cursor is a 400, never a 500.
 */
export type CursorField = 'timestamp' | 'uuid' | 'int32' | 'flag';

type FieldValue<F extends CursorField> = F extends 'timestamp' | 'uuid' ? string : number;

export type CursorValues<S extends readonly CursorField[]> = {
  [K in keyof S]: S[K] extends CursorField ? FieldValue<S[K]> : never;
};

/**
 * The SQL for a timestamptz column as cursor text, to the microsecond (what PostgreSQL stores):
 * a millisecond Date would skip rows that share one transaction's timestamp. Compare it back with
 * `$n::timestamptz`; the round trip is exact.
 */
export function cursorTimeSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function isTimestamp(value: unknown): value is string {
  const match = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  if (!match) {
    return false;
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  // Date.UTC rolls 31 February into March: a calendar date must survive the round trip.
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    year >= 1970 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60
  );
}

const CHECKS: Record<CursorField, (value: unknown) => boolean> = {
  timestamp: isTimestamp,
  uuid: (value) => typeof value === 'string' && UUID.test(value),
  int32: (value) =>
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= INT32_MIN &&
    value <= INT32_MAX,
  flag: (value) => value === 0 || value === 1,
};

export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor<const S extends readonly CursorField[]>(
  cursor: string,
  schema: S,
): CursorValues<S> {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  if (
    Array.isArray(values) &&
    values.length === schema.length &&
    schema.every((field, i) => CHECKS[field](values[i]))
  ) {
    return values as CursorValues<S>;
  }
  throw new BadRequestException('cursor is not valid');
}
