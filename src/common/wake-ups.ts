/** The shortest idle sleep: a due row someone else holds locked is looked for again, not spun on. */
const SHORTEST_IDLE_MS = 50;

/**
 * How long an idle dispatcher sleeps: until its next row falls due (`untilDueMs`, null when
 * nothing waits), never longer than `capMs` (the safety poll, or its next look for expired leases).
 */
export function idleSleepMs(untilDueMs: number | null, capMs: number): number {
  const cap = Math.max(0, capMs);
  return untilDueMs === null
    ? cap
    : Math.min(cap, Math.max(SHORTEST_IDLE_MS, Math.ceil(untilDueMs)));
}

/**
 * After a failed cycle (typically the database unreachable): back off, never spin. Starts from the
 * poll interval when that is shorter than a second (tests), not from the slow safety poll.
 */
export function failureBackoffMs(failures: number, pollMs: number): number {
  return Math.min(30_000, Math.min(pollMs, 1_000) * 2 ** Math.min(failures, 5));
}

/**
 * Idle waits that a wake-up cuts short: a NOTIFY that work was queued, or shutdown. A loop notes
 * `seen` before it looks for work; when a wake-up comes while it looks, its next sleep returns at
 * once, so a notification that arrives mid-look is never slept through.
 */
export class WakeUps {
  private readonly sleepers = new Set<() => void>();
  private count = 0;
  private stopped = false;

  /** Taken before a look for work, and handed to the sleep after it. */
  get seen(): number {
    return this.count;
  }

  wake(): void {
    this.count += 1;
    for (const resolve of this.sleepers) {
      resolve();
    }
    this.sleepers.clear();
  }

  /** Ends every sleep, now and from now on. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  sleep(ms: number, seen: number): Promise<void> {
    if (this.count !== seen || this.stopped) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}
