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
const REQUEST_ID_KEY = ',"message":{"requestId":';
const METHOD = bytesOf(',"method":');
const PATH = bytesOf(',"path":');
const STATUS = ',"status":';
const MS = ',"ms":';
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

/** When performance.now() counted from, as a Unix time in ms (read once: it never changes). */
const TIME_ORIGIN = performance.timeOrigin;
/** Node accepts statuses from 100 to 999; a cached piece for each. */
const STATUSES = 1000;
/** Methods are few (node's parser knows a fixed list); a cached piece for each, within reason. */
const MOST_METHODS = 64;

/** The bytes of a piece of a line that is the same for many lines, kept once. */
function pieceOf(...parts: (Uint8Array | string)[]): Buffer {
  const texts = parts.map((part) => (typeof part === 'string' ? escapedBytes(part) : part));
  return Buffer.concat(texts);
}

/** A text as it stands in a line: a JSON string in ASCII. */
function escapedBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafe(2 + MAX_BYTES_PER_CHAR * text.length);
  return bytes.subarray(0, putText(bytes, 0, text));
}

/**
 * The per-request access log: one JSON line per request in the application logger's shape
 * (`{level, pid, timestamp, message, context: "HTTP"}`), collected in memory and written in
 * batches: one write per FLUSH_MS or FLUSH_BYTES instead of one synchronous write (and the
 * general logger's defensive serializer) per request, which cost more than a small route itself.
 * Each line is written as bytes straight into the batch, with no string built for it: a line
 * built as a string and kept until its batch was written cost a concatenation per field, a copy
 * of the whole when it was flattened, and the young generation's collector copying it about.
 * What many lines share is kept as bytes once and copied whole: the line's start up to the
 * request id (per millisecond), the method, the status, the client's address (the last one: a
 * keep-alive connection sends many requests). Lines still waiting are written when the process
 * exits.
 */
export class AccessLog {
  private batch = Buffer.allocUnsafeSlow(FLUSH_BYTES);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The start of every line, which never changes. */
  private readonly head = `{"level":"log","pid":${process.pid},"timestamp":`;
  /** The last timestamp written, and the line's start up to the request id with it. */
  private stamp: { at: number; piece: Buffer } = { at: -1, piece: Buffer.alloc(0) };
  /** `,"method":"GET","path":` by method. */
  private readonly methods = new Map<string, Buffer>();
  /** `,"status":200,"ms":` by status. */
  private readonly statuses: (Buffer | undefined)[] = new Array<Buffer | undefined>(STATUSES);
  /** The last client address written, and its `,"ip":"…"` piece. */
  private address = { ip: '', piece: pieceOf(IP, '') };

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
    const method = request.method;
    const res = reply.raw;
    // 'close' comes once, after 'finish' when the answer was sent whole.
    res.on('close', () => {
      const now = performance.now();
      const aborted = !res.writableFinished;
      this.append(
        Math.round(TIME_ORIGIN + now),
        requestId,
        method,
        // The path only: query strings can carry confirm and unsubscribe tokens.
        path,
        aborted ? 499 : res.statusCode,
        Math.round((now - started) * 1000),
        ip,
        aborted,
      );
    });
  }

  private append(
    timestamp: number,
    requestId: string,
    method: string,
    path: string,
    status: number,
    micros: number,
    ip: string | undefined,
    aborted: boolean,
  ): void {
    const most =
      LINE_FRAME_BYTES +
      MAX_BYTES_PER_CHAR * (requestId.length + method.length + path.length + (ip?.length ?? 0));
    let to = this.batch;
    let at = this.used;
    if (at + most > FLUSH_BYTES) {
      this.flush();
      // A line that may be longer than a batch goes alone.
      to = most > FLUSH_BYTES ? Buffer.allocUnsafe(most) : this.batch;
      at = 0;
    }
    let end = putBytes(to, at, this.stampPiece(timestamp));
    end = putText(to, end, requestId);
    end = putBytes(to, end, this.methodPiece(method));
    end = putText(to, end, path);
    end = putMillis(to, putBytes(to, end, this.statusPiece(status)), micros);
    if (ip !== undefined) {
      end = putBytes(to, end, this.addressPiece(ip));
    }
    if (aborted) {
      end = putBytes(to, end, ABORTED);
    }
    end = putBytes(to, end, TAIL);
    if (to !== this.batch) {
      this.out.write(to.subarray(0, end));
      return;
    }
    this.used = end;
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** `{"level":"log","pid":…,"timestamp":…,"message":{"requestId":` for this millisecond. */
  private stampPiece(timestamp: number): Buffer {
    if (timestamp !== this.stamp.at) {
      this.stamp = {
        at: timestamp,
        piece: bytesOf(`${this.head}${timestamp}${REQUEST_ID_KEY}`),
      };
    }
    return this.stamp.piece;
  }

  private methodPiece(method: string): Buffer {
    const known = this.methods.get(method);
    if (known) {
      return known;
    }
    const piece = pieceOf(METHOD, method, PATH);
    if (this.methods.size < MOST_METHODS) {
      this.methods.set(method, piece);
    }
    return piece;
  }

  private statusPiece(status: number): Buffer {
    const known = this.statuses[status];
    if (known) {
      return known;
    }
    const piece = bytesOf(`${STATUS}${status}${MS}`);
    if (Number.isInteger(status) && status >= 0 && status < STATUSES) {
      this.statuses[status] = piece;
    }
    return piece;
  }

  private addressPiece(ip: string): Buffer {
    if (ip !== this.address.ip) {
      this.address = { ip, piece: pieceOf(IP, ip) };
    }
    return this.address.piece;
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
