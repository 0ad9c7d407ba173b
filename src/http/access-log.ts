import type { FastifyReply, FastifyRequest } from 'fastify';

/** How long an access-log line may wait in memory before it is written. */
const FLUSH_MS = 200;
/** Written at once when this much is waiting. */
const FLUSH_BYTES = 64 * 1024;
/** What JSON.stringify leaves outside ASCII. */
const NOT_ASCII = /[\u007f-\uffff]/g;
/** Each UTF-16 unit of a text takes at most six bytes in the log (`\u00e9`). */
const MAX_BYTES_PER_CHAR = 6;
/** The bytes of a line besides its texts, with room to spare: keys, numbers, punctuation. */
const LINE_FRAME_BYTES = 256;

/** ASCII text as its bytes, for the parts of a line that never change. */
const bytesOf = (text: string): Buffer => Buffer.from(text, 'latin1');
const REQUEST_ID = bytesOf(',"message":{"requestId":');
const METHOD = bytesOf(',"method":');
const PATH = bytesOf(',"path":');
const STATUS = bytesOf(',"status":');
const MS = bytesOf(',"ms":');
const IP = bytesOf(',"ip":');
const ABORTED = bytesOf(',"aborted":true');
const TAIL = bytesOf('},"context":"HTTP"}\n');

/** Copies `piece` into `to` at `at`; returns where the next byte goes. */
function putBytes(to: Buffer, at: number, piece: Uint8Array): number {
  to.set(piece, at);
  return at + piece.length;
}

/** Writes the digits of an integer ≥ 0 (below 2^53); returns where the next byte goes. */
function putInteger(to: Buffer, at: number, value: number): number {
  let end = at + 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) {
    end += 1;
  }
  for (let i = end - 1, rest = value; i >= at; i -= 1, rest = Math.floor(rest / 10)) {
    to[i] = 0x30 + (rest % 10);
  }
  return end;
}

/**
 * Writes `micros / 1000` as JSON writes the number of milliseconds it stands for (`12.3`, `0.045`,
 * `7`); returns where the next byte goes.
 */
function putMillis(to: Buffer, at: number, micros: number): number {
  const whole = Math.floor(micros / 1000);
  let fraction = micros - whole * 1000;
  let end = putInteger(to, at, whole);
  if (fraction > 0) {
    to[end] = 0x2e; // "."
    end += 1;
    for (let unit = 100; fraction > 0; unit /= 10) {
      const digit = Math.floor(fraction / unit);
      to[end] = 0x30 + digit;
      end += 1;
      fraction -= digit * unit;
    }
  }
  return end;
}

/**
 * Writes `text` as a JSON string in ASCII only (anything beyond it as a \u escape), so every line
 * is ASCII and one byte a character; returns where the next byte goes. A path as node hands it
 * over holds the request's raw bytes, one character each: escaped, a client's UTF-8 or stray
 * bytes reach the log as the string node made of them, and never as bytes that are not UTF-8.
 * Plain text (printable ASCII but `"` and `\`) is copied as it is, in one pass.
 */
function putText(to: Buffer, at: number, text: string): number {
  let end = at;
  to[end++] = 0x22; // '"'
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) {
      return putAscii(to, at, escaped(text));
    }
    to[end++] = code;
  }
  to[end++] = 0x22;
  return end;
}

/** JSON.stringify's string of `text`, with whatever it leaves outside ASCII as a \u escape. */
function escaped(text: string): string {
  return JSON.stringify(text).replace(
    NOT_ASCII,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function putAscii(to: Buffer, at: number, ascii: string): number {
  for (let i = 0; i < ascii.length; i += 1) {
    to[at + i] = ascii.charCodeAt(i);
  }
  return at + ascii.length;
}

/** One request's line, as AccessLog.start gathers it. */
interface Line {
  timestamp: number;
  requestId: string;
  method: string;
  path: string;
  status: number;
  micros: number;
  ip: string | undefined;
  aborted: boolean;
}

/**
 * The per-request access log: one JSON line per request in the application logger's shape
 * (`{level, pid, timestamp, message, context: "HTTP"}`), collected in memory and written in
 * batches: one write per FLUSH_MS or FLUSH_BYTES instead of one synchronous write (and the
 * general logger's defensive serializer) per request, which cost more than a small route itself.
 * Each line is written as bytes straight into the batch, with no string built for it: a line
 * built as a string and kept until its batch was written cost a concatenation per field, a copy
 * of the whole when it was flattened, and the young generation's collector copying it about.
 * Lines still waiting are written when the process exits.
 */
export class AccessLog {
  private batch = Buffer.allocUnsafeSlow(FLUSH_BYTES);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The start of every line, which never changes. */
  private readonly head = bytesOf(`{"level":"log","pid":${process.pid},"timestamp":`);
  /** The last timestamp written, and its digits: a busy instance writes many lines a millisecond. */
  private stamp: { at: number; digits: Uint8Array } = { at: -1, digits: new Uint8Array() };

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
      this.append({
        timestamp: Math.round(performance.timeOrigin + now),
        requestId,
        method: request.method,
        // The path only: query strings can carry confirm and unsubscribe tokens.
        path,
        status: aborted ? 499 : res.statusCode,
        micros: Math.round((now - started) * 1000),
        ip,
        aborted,
      });
    });
  }

  private append(line: Line): void {
    const most =
      LINE_FRAME_BYTES +
      MAX_BYTES_PER_CHAR *
        (line.requestId.length + line.method.length + line.path.length + (line.ip?.length ?? 0));
    if (this.used + most > FLUSH_BYTES) {
      this.flush();
      if (most > FLUSH_BYTES) {
        // A line that may be longer than a batch goes alone.
        const alone = Buffer.allocUnsafe(most);
        this.out.write(alone.subarray(0, this.put(alone, 0, line)));
        return;
      }
    }
    this.used = this.put(this.batch, this.used, line);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes `line` into `to` from `at` as JSON.stringify gives it; returns where it ends. */
  private put(to: Buffer, at: number, line: Line): number {
    if (line.timestamp !== this.stamp.at) {
      this.stamp = { at: line.timestamp, digits: bytesOf(String(line.timestamp)) };
    }
    let end = putBytes(to, putBytes(to, at, this.head), this.stamp.digits);
    end = putText(to, putBytes(to, end, REQUEST_ID), line.requestId);
    end = putText(to, putBytes(to, end, METHOD), line.method);
    end = putText(to, putBytes(to, end, PATH), line.path);
    end = putInteger(to, putBytes(to, end, STATUS), line.status);
    end = putMillis(to, putBytes(to, end, MS), line.micros);
    if (line.ip !== undefined) {
      end = putText(to, putBytes(to, end, IP), line.ip);
    }
    if (line.aborted) {
      end = putBytes(to, end, ABORTED);
    }
    return putBytes(to, end, TAIL);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.used > 0) {
      // The written batch is the writer's (a stream may still hold it): the next one is new.
      const chunk = this.batch.subarray(0, this.used);
      this.batch = Buffer.allocUnsafeSlow(FLUSH_BYTES);
      this.used = 0;
      this.out.write(chunk);
    }
  }
}
