import { describe, expect, it } from 'vitest';
import { failureBackoffMs, idleSleepMs, WakeUps } from './wake-ups';

const elapsed = async (work: Promise<void>): Promise<number> => {
  const started = Date.now();
  await work;
  return Date.now() - started;
};

describe('idleSleepMs', () => {
  it('sleeps until the next row falls due, never past the safety poll', () => {
    expect(idleSleepMs(null, 30_000)).toBe(30_000);
    expect(idleSleepMs(1_234.2, 30_000)).toBe(1_235);
    expect(idleSleepMs(90_000, 30_000)).toBe(30_000);
  });

  it('does not sleep when its cap (the next look for expired leases) has passed', () => {
    expect(idleSleepMs(null, -20)).toBe(0);
    expect(idleSleepMs(5_000, 0)).toBe(0);
  });

  it('looks again shortly, not at once, for a row due already that it could not claim', () => {
    expect(idleSleepMs(0, 30_000)).toBe(50);
    expect(idleSleepMs(-5_000, 30_000)).toBe(50);
    expect(idleSleepMs(-5_000, 20)).toBe(20);
  });
});

describe('failureBackoffMs', () => {
  it('doubles from a second (or a shorter poll) up to 30 s, whatever the safety poll', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((f) => failureBackoffMs(f, 30_000))).toEqual([
      2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(failureBackoffMs(1, 100)).toBe(200);
  });
});

describe('WakeUps', () => {
  it('cuts a sleep short when woken', async () => {
    const wakeUps = new WakeUps();
    const sleeping = wakeUps.sleep(10_000, wakeUps.seen);
    setTimeout(() => wakeUps.wake(), 20);
    expect(await elapsed(sleeping)).toBeLessThan(1_000);
  });

  it('does not sleep through a wake-up that came while the loop looked for work', async () => {
    const wakeUps = new WakeUps();
    const seen = wakeUps.seen;
    wakeUps.wake();
    expect(await elapsed(wakeUps.sleep(10_000, seen))).toBeLessThan(100);
  });

  it('sleeps its time when nothing wakes it', async () => {
    const wakeUps = new WakeUps();
    expect(await elapsed(wakeUps.sleep(60, wakeUps.seen))).toBeGreaterThanOrEqual(55);
  });

  it('ends every sleep once stopped, and sleeps no more', async () => {
    const wakeUps = new WakeUps();
    const sleeping = wakeUps.sleep(10_000, wakeUps.seen);
    wakeUps.stop();
    expect(await elapsed(sleeping)).toBeLessThan(100);
    expect(await elapsed(wakeUps.sleep(10_000, wakeUps.seen))).toBeLessThan(100);
  });
});
