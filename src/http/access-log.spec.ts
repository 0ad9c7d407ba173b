import { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessLog } from './access-log';

/** A request and its reply as start() reads them: the raw response is what closes. */
function exchange(ip: string | undefined) {
  const raw = Object.assign(new EventEmitter(), { writableFinished: false, statusCode: 200 });
  const request = { method: 'POST', ip } as unknown as FastifyRequest;
  const reply = { raw } as unknown as FastifyReply;
  return { request, reply, raw };
}

/** One request followed from start to a response that closes with `status`. */
function serve(log: AccessLog, method: string, requestId: string, path: string, status = 200) {
  const { request, reply, raw } = exchange('127.0.0.1');
  (request as { method: string }).method = method;
  log.start(request, reply, requestId, path);
  raw.writableFinished = true;
  raw.statusCode = status;
  raw.emit('close');
}

function sink() {
  const writes: string[] = [];
  return {
    writes,
    out: { write: (chunk: Uint8Array) => writes.push(Buffer.from(chunk).toString()) },
  };
}

describe('AccessLog', () => {
  it('collects lines and writes them in one batch, each in the logger JSON shape', () => {
    const { writes, out } = sink();
    const log = new AccessLog(true, out);
    for (let i = 0; i < 100; i += 1) {
      serve(log, 'GET', `r${i}`, '/api/health');
    }
    expect(writes).toHaveLength(0);
    log.flush();
    expect(writes).toHaveLength(1);
    const lines = writes[0]
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(100);
    expect(lines[7]).toMatchObject({
      level: 'log',
      pid: process.pid,
      context: 'HTTP',
      message: { requestId: 'r7', method: 'GET', path: '/api/health', status: 200 },
    });
  });

  it('writes at once when a batch grows past 64 KiB, and within 200 ms otherwise', async () => {
    const { writes, out } = sink();
    const log = new AccessLog(true, out);
    const path = `/${'x'.repeat(1000)}`;
    for (let i = 0; i < 70; i += 1) {
      serve(log, 'GET', `r${i}`, path);
    }
    expect(writes).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(writes).toHaveLength(2);
    expect(writes.join('').trimEnd().split('\n')).toHaveLength(70);
  });

  it('writes the line when the response closes: the status sent, or 499 if abandoned', () => {
    const { writes, out } = sink();
    const log = new AccessLog(true, out);
    const sent = exchange('203.0.113.9');
    log.start(sent.request, sent.reply, 'req-0001', '/api/articles/"quoted"\\path');
    const forwarded = exchange('"1.2.3.4\\');
    log.start(forwarded.request, forwarded.reply, 'req-0003', '/');
    forwarded.raw.emit('close');
    const left = exchange(undefined);
    log.start(left.request, left.reply, 'req-0002', '/articles/x/comments');
    sent.raw.statusCode = 201;
    sent.raw.writableFinished = true;
    sent.raw.emit('close');
    left.raw.emit('close');
    log.flush();
    const [third, first, second] = writes[0]
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: Record<string, unknown> });
    expect(third.message).toMatchObject({ requestId: 'req-0003', ip: '"1.2.3.4\\' });
    expect(first).toMatchObject({ level: 'log', pid: process.pid, context: 'HTTP' });
    expect(
      Math.abs((first as unknown as { timestamp: number }).timestamp - Date.now()),
    ).toBeLessThan(1000);
    expect(first.message).toEqual({
      requestId: 'req-0001',
      method: 'POST',
      path: '/api/articles/"quoted"\\path',
      status: 201,
      ms: expect.any(Number) as number,
      ip: '203.0.113.9',
    });
    expect(second.message).toEqual({
      requestId: 'req-0002',
      method: 'POST',
      path: '/articles/x/comments',
      status: 499,
      ms: expect.any(Number) as number,
      aborted: true,
    });
  });

  it('writes ASCII only: raw bytes and controls in a path are escaped and read back as node gave them', () => {
    const chunks: Buffer[] = [];
    const log = new AccessLog(true, { write: (chunk) => chunks.push(Buffer.from(chunk)) });
    // "café" sent as raw UTF-8 bytes: node's request line holds them one character each.
    const paths = ['/caf\u00c3\u00a9', '/tab\there\u007f', '/\u2028line\ud800', '/plain/path'];
    paths.forEach((path, i) => serve(log, 'GET', `r${i}`, path));
    log.flush();
    const bytes = Buffer.concat(chunks);
    expect(bytes.filter((byte) => byte > 0x7e && byte !== 0x0a)).toHaveLength(0);
    const lines = bytes
      .toString('latin1')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { message: { path: string } });
    expect(lines.map((line) => line.message.path)).toEqual(paths);
  });

  describe("each line's text", () => {
    afterEach(() => vi.restoreAllMocks());

    it('gives each line exactly as JSON.stringify gives the same object', () => {
      const { writes, out } = sink();
      const log = new AccessLog(true, out);
      // Request durations in ms, as performance.now() differences: fractions, round numbers,
      // sub-microsecond parts (rounded to the microsecond), long requests.
      const durations = [
        0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.5, 1, 9.99, 10, 12.3, 12.34, 12.345, 99.9999,
        999.999, 1000, 123456.7, 86_400_000.001,
      ];
      const now = vi.spyOn(performance, 'now');
      durations.forEach((ms, i) => {
        now.mockReturnValueOnce(5000).mockReturnValueOnce(5000 + ms);
        serve(log, i % 2 ? 'DELETE' : 'GET', `id-${i}`, `/p/${i}?`, [200, 304, 404, 503][i % 4]);
      });
      log.flush();
      const lines = writes.join('').trimEnd().split('\n');
      expect(lines).toHaveLength(durations.length);
      lines.forEach((line, i) => {
        const parsed = JSON.parse(line) as { timestamp: number; message: { ms: number } };
        expect(parsed.message.ms).toBe(Math.round(durations[i] * 1000) / 1000);
        expect(parsed.timestamp).toBe(Math.round(performance.timeOrigin + 5000 + durations[i]));
        expect(line).toBe(JSON.stringify(parsed));
      });
    });

    it("gives JSON.stringify's text, in ASCII, for any path, address and duration", () => {
      const chunks: Buffer[] = [];
      const log = new AccessLog(true, { write: (chunk) => chunks.push(Buffer.from(chunk)) });
      // Printable ASCII with at most one kind of unit JSON or the log treats specially, so each
      // of them is met alone in some texts.
      const special = [
        0x00, 0x08, 0x1f, 0x20, 0x22, 0x5c, 0x7e, 0x7f, 0xff, 0x2028, 0xd800, 0xdfff,
      ];
      let seed = 7;
      const random = (below: number) => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) % below;
      };
      const plain = (code: number) => (code === 0x22 || code === 0x5c ? 0x61 : code);
      const text = (max: number) => {
        const odd = special[random(special.length)];
        return String.fromCharCode(
          ...Array.from({ length: random(max) }, () =>
            random(8) === 0 ? odd : plain(0x20 + random(0x5f)),
          ),
        );
      };
      const expected = Array.from({ length: 400 }, (_, i) => {
        const exchanged = exchange(random(4) === 0 ? undefined : text(40));
        const path = `/${text(120)}`;
        const micros = random(3) === 0 ? random(1000) : random(2 ** 31);
        const now = vi.spyOn(performance, 'now');
        now.mockReturnValueOnce(1000).mockReturnValueOnce(1000 + micros / 1000);
        log.start(exchanged.request, exchanged.reply, `id-${i}`, path);
        const aborted = random(5) === 0;
        exchanged.raw.writableFinished = !aborted;
        exchanged.raw.statusCode = 100 + random(500);
        exchanged.raw.emit('close');
        const ip = (exchanged.request as { ip?: string }).ip;
        return {
          requestId: `id-${i}`,
          method: 'POST',
          path,
          status: aborted ? 499 : exchanged.raw.statusCode,
          ms: Math.round(micros) / 1000,
          ...(ip === undefined ? {} : { ip }),
          ...(aborted ? { aborted: true } : {}),
        };
      });
      log.flush();
      const bytes = Buffer.concat(chunks);
      expect(bytes.filter((byte) => byte > 0x7e && byte !== 0x0a)).toHaveLength(0);
      const lines = bytes.toString('latin1').trimEnd().split('\n');
      expect(lines).toHaveLength(expected.length);
      lines.forEach((line, i) => {
        const parsed = JSON.parse(line) as { message: unknown };
        expect(parsed.message).toEqual(expected[i]);
        expect(line).toBe(
          JSON.stringify(parsed).replace(
            /[\u007f-\uffff]/g,
            (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
          ),
        );
      });
    });

    it('keeps lines whole across batches, and writes a line longer than a batch on its own', () => {
      const { writes, out } = sink();
      const log = new AccessLog(true, out);
      const paths = Array.from({ length: 300 }, (_, i) => `/${String(i).repeat(1 + (i % 7) * 60)}`);
      paths.splice(150, 0, `/${'long'.repeat(20_000)}`, `/${'\u00e9'.repeat(20_000)}`);
      paths.forEach((path, i) => serve(log, 'GET', `r${i}`, path));
      log.flush();
      for (const chunk of writes) {
        expect(chunk.endsWith('\n')).toBe(true);
      }
      // The two lines longer than a batch, each in a write of its own.
      const alone = writes.filter((chunk) => chunk.length > 64 * 1024);
      expect(alone.map((chunk) => chunk.trimEnd().split('\n').length)).toEqual([1, 1]);
      const read = writes
        .join('')
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { message: { path: string } }).message.path);
      expect(read).toEqual(paths);
    });
  });

  it('does nothing at a log level without access lines', () => {
    const { writes, out } = sink();
    const log = new AccessLog(false, out);
    serve(log, 'GET', 'r0', '/');
    log.flush();
    expect(writes).toHaveLength(0);
  });
});
