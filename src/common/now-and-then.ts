/**
 * For housekeeping riding on a hot path (deleting expired rows): true on every `n`th call in this
 * process. Counted rather than drawn at random, so the cost is spread evenly and a request's
 * statements are predictable; across instances the calls simply add up.
 */
export function everyNth(n: number): () => boolean {
  let calls = 0;
  return () => {
    calls = (calls + 1) % n;
    return calls === 0;
  };
}
