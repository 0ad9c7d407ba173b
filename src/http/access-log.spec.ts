import { describe, expect, it } from 'vitest';
import { AccessLog } from './access-log';

function sink() {
  const writes: string[] = [];
  return { writes, out: { write: (text: string) => writes.push(text) } };
}

describe('AccessLog', () => {
  it('collects lines and writes them in one batch, each in the logger JSON shape', () => {
    const { writes, out } = sink();
    const log = new AccessLog(true, out);
    for (let i = 0; i < 100; i += 1) {
      log.write({ requestId: `r${i}`, method: 'GET', path: '/api/health', status: 200 });
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
      log.write({ path });
    }
    expect(writes).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(writes).toHaveLength(2);
    expect(writes.join('').trimEnd().split('\n')).toHaveLength(70);
  });

  it('does nothing at a log level without access lines', () => {
    const { writes, out } = sink();
    const log = new AccessLog(false, out);
    log.write({ path: '/' });
    log.flush();
    expect(writes).toHaveLength(0);
  });
});
