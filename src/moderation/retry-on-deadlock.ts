/** PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply be rerun. */
const RETRYABLE = new Set(['40P01', '40001']);

function code(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const found = e?.driverError?.code ?? e?.code;
  return typeof found === 'string' ? found : undefined;
}

/**
 * Reruns a whole transaction that PostgreSQL aborted to break a deadlock. Moderation locks
 * articles before comments, but authors and posters lock in their own order, so a rare deadlock
 * with them stays possible; rerunning is then correct because nothing was committed (and events
 * are only emitted after a commit).
 */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const retryable = RETRYABLE.has(code(error) ?? '');
      if (!retryable || attempt >= attempts) {
        throw error;
      }
    }
  }
}
