/** What a string takes as V8 may hold it: two bytes a character. */
const stringBytes = (value: unknown): number => 2 * (value as string).length;

/** What an entry is charged: its key, its value's bytes and a fixed overhead. */
const entryBytes = (key: string, valueBytes: number): number =>
  stringBytes(key) + valueBytes + ByteBudgetCache.ENTRY_OVERHEAD;

/**
 * A cache bounded by bytes, not entries: each entry is charged for its key (two bytes a
 * character), its value (`bytesOf`; a string's two bytes a character unless told) and a fixed
 * overhead, and the least recently used entries are evicted until the total fits the budget.
 * Entries expire `ttlMs` after they were stored; an expired entry is never served and is dropped
 * when seen or swept. A value larger than the whole budget is not stored at all, so no caller can
 * make the cache exceed it.
 */
export class ByteBudgetCache<V = string> {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, { value: V; until: number; bytes: number }>();
  private used = 0;
  private nextSweep = 0;

  static readonly ENTRY_OVERHEAD = 160;

  constructor(
    private readonly budgetBytes: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly bytesOf: (value: V) => number = stringBytes,
  ) {}

  static sizeOf(key: string, value: string): number {
    return entryBytes(key, stringBytes(value));
  }

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      return undefined;
    }
    this.entries.delete(key);
    if (entry.until <= this.now()) {
      this.used -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    const now = this.now();
    this.delete(key);
    if (now >= this.nextSweep) {
      this.sweep(now);
    }
    const bytes = entryBytes(key, this.bytesOf(value));
    if (bytes > this.budgetBytes) {
      return;
    }
    for (const [oldest, entry] of this.entries) {
      if (this.used + bytes <= this.budgetBytes) {
        break;
      }
      this.entries.delete(oldest);
      this.used -= entry.bytes;
    }
    this.entries.set(key, { value, until: now + this.ttlMs, bytes });
    this.used += bytes;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.used -= entry.bytes;
    }
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }

  /** Drops every expired entry; runs at most once a TTL, so its cost is spread over the sets. */
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.until <= now) {
        this.entries.delete(key);
        this.used -= entry.bytes;
      }
    }
    this.nextSweep = now + this.ttlMs;
  }
}
