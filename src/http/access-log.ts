import type { FastifyReply, FastifyRequest } from 'fastify';

/** How long an access-log line may wait in memory before it is written. */
const FLUSH_MS = 200;
/** Written at once when this much is waiting. */
const FLUSH_BYTES = 64 * 1024;
/** UTF-8 takes at most three bytes for each UTF-16 code unit. */
const MAX_BYTES_PER_CHAR = 3;
/** An IPv4 or IPv6 address (with a zone): nothing JSON would escape. */
const PLAIN_ADDRESS = /^[\w.:%]{1,64}$/;

/**
 * The per-request access log: one JSON line per request in the application logger's shape
 * (`{level, pid, timestamp, message, context: "HTTP"}`), collected in memory and written in
 * batches: one write per FLUSH_MS or FLUSH_BYTES instead of one synchronous write (and the
 * general logger's defensive serializer) per request, which cost more than a small route itself.
 * Each line is encoded at once into a buffer outside the JS heap: lines kept waiting as strings
 * (one long concatenation) outlived the young generation, and promoting and collecting them cost
 * more than writing them. Lines still waiting are written when the process exits.
 */
export class AccessLog {
  private batch = Buffer.allocUnsafe(FLUSH_BYTES);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly enabled: boolean,
    private readonly out: { write(chunk: Uint8Array): unknown } = process.stdout,
  ) {
    if (enabled) {
      process.once('exit', () => this.flush());
    }
  }

  /**
   * Follows one request: its line is written when the response closes, with the status sent, or
   * as 499 (nginx's "client closed request") when the client left before the whole answer was
   * sent. One 'close' listener serves both, where Fastify's onResponse hook would add its own
   * 'finish' and 'error' listeners and still miss the abandoned request.
   */
  start(request: FastifyRequest, reply: FastifyReply, requestId: string, path: string): void {
    if (!this.enabled) {
      return;
    }
    const started = performance.now();
    // Read now: once an upload is refused mid-body (a 413) the socket is gone when it closes.
    const ip = request.ip;
    const res = reply.raw;
    // 'close' comes once, after 'finish' when the answer was sent whole.
    res.on('close', () => {
      const aborted = !res.writableFinished;
      const now = performance.now();
      // The line written by hand (what JSON.stringify of the same object gives, at a fraction of
      // the cost): the method is one of node's known tokens and the request id is a UUID or
      // [\w.-] (configureHttp); the path, and an address taken from X-Forwarded-For, are quoted.
      this.append(
        `{"level":"log","pid":${process.pid},"timestamp":${Math.round(performance.timeOrigin + now)},` +
          `"message":{"requestId":"${requestId}","method":"${request.method}",` +
          // The path only: query strings can carry confirm and unsubscribe tokens.
          `"path":${JSON.stringify(path)},"status":${aborted ? 499 : res.statusCode},` +
          `"ms":${Math.round((now - started) * 1000) / 1000}` +
          `${ip === undefined ? '' : `,"ip":${PLAIN_ADDRESS.test(ip) ? `"${ip}"` : JSON.stringify(ip)}`}` +
          `${aborted ? ',"aborted":true' : ''}},"context":"HTTP"}\n`,
      );
    });
  }

  private append(line: string): void {
    if (this.used + line.length * MAX_BYTES_PER_CHAR > FLUSH_BYTES) {
      this.flush();
      if (line.length * MAX_BYTES_PER_CHAR > FLUSH_BYTES) {
        this.out.write(Buffer.from(line)); // a line longer than a batch goes alone
        return;
      }
    }
    this.used += this.batch.write(line, this.used);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.used > 0) {
      // The written batch is the writer's (a stream may still hold it): the next one is new.
      const chunk = this.batch.subarray(0, this.used);
      this.batch = Buffer.allocUnsafe(FLUSH_BYTES);
      this.used = 0;
      this.out.write(chunk);
    }
  }
}
