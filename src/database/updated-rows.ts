/**
 * TypeORM answers UPDATE … RETURNING with `[rows, affected]` on pg; the PGlite driver may answer
 * with the rows alone. Either way: the rows and their count.
 */
export function updated<T>(result: unknown): { rows: T[]; count: number } {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return { rows: result[0] as T[], count: result[1] };
  }
  const rows = Array.isArray(result) ? (result as T[]) : [];
  return { rows, count: rows.length };
}

/** The rows of an UPDATE … RETURNING, as pg or PGlite answers it. */
export function rowsOf<T>(result: unknown): T[] {
  return updated<T>(result).rows;
}
