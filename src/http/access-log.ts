/** How long an access-log line may wait in memory before it is written. */
const FLUSH_MS = 200;
/** Written at once when this much is waiting. */
const FLUSH_BYTES = 64 * 1024;

/**
 * The per-request access log: one JSON line per request in the application logger's shape
 * (`{level, pid, timestamp, message, context: "HTTP"}`), collected in memory and written in
 * batches: one write per FLUSH_MS or FLUSH_BYTES instead of one synchronous write (and the
 * general logger's defensive serializer) per request, which cost more than a small route itself.
 * Lines still waiting are written when the process exits.
 */
export class AccessLog {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly enabled: boolean,
    private readonly out: { write(text: string): unknown } = process.stdout,
  ) {
    if (enabled) {
      process.once('exit', () => this.flush());
    }
  }

  write(message: Record<string, string | number | boolean | undefined>): void {
    if (!this.enabled) {
      return;
    }
    this.pending += `${JSON.stringify({
      level: 'log',
      pid: process.pid,
      timestamp: Date.now(),
      message,
      context: 'HTTP',
    })}\n`;
    if (this.pending.length >= FLUSH_BYTES) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending) {
      const text = this.pending;
      this.pending = '';
      this.out.write(text);
    }
  }
}
