import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFLICT_ATTEMPTS,
  inTransaction,
  TransactionAbandonedError,
} from '../src/database/transactions';
import { createTestApp, TestApp } from './support/app';

/** inTransaction() against a real PostgreSQL: real deadlocks, real killed sessions. */
describe('inTransaction', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await t.dataSource.query(
      'CREATE TABLE tx_probe (id integer PRIMARY KEY, n integer NOT NULL DEFAULT 0)',
    );
    await t.dataSource.query('INSERT INTO tx_probe (id) VALUES (1), (2)');
  });
  afterAll(() => t.close());

  it('reruns the loser of a real deadlock: both transactions commit', async () => {
    let attempts = 0;
    // Each locks one row, waits for the other to lock the other row, then wants it.
    let ready = 0;
    const bothLocked = () =>
      new Promise<void>((resolve) => {
        const check = () => (ready >= 2 ? resolve() : setTimeout(check, 5));
        check();
      });
    const crossing = (first: number, second: number) =>
      inTransaction(t.dataSource, async (m) => {
        attempts += 1;
        await m.query('UPDATE tx_probe SET n = n + 1 WHERE id = $1', [first]);
        ready += 1;
        await bothLocked();
        await m.query('UPDATE tx_probe SET n = n + 1 WHERE id = $1', [second]);
      });
    await Promise.all([crossing(1, 2), crossing(2, 1)]);
    expect(attempts).toBe(3);
    const rows: { n: number }[] = await t.dataSource.query('SELECT n FROM tx_probe ORDER BY id');
    expect(rows.map((r) => r.n)).toEqual([2, 2]);
  });

  it('gives up after a bounded number of conflicts with a 503-able error', async () => {
    let attempts = 0;
    const failing = inTransaction(t.dataSource, async (m) => {
      attempts += 1;
      await m.query("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
    });
    await expect(failing).rejects.toBeInstanceOf(TransactionAbandonedError);
    expect(attempts).toBe(CONFLICT_ATTEMPTS);
  });

  it('reruns once a transaction whose session died before COMMIT', async () => {
    let attempts = 0;
    await inTransaction(t.dataSource, async (m) => {
      attempts += 1;
      await m.query('UPDATE tx_probe SET n = n + 10 WHERE id = 1');
      if (attempts === 1) {
        // The server ends this very session: nothing of this attempt can commit.
        await m.query('SELECT pg_terminate_backend(pg_backend_pid())');
      }
    });
    expect(attempts).toBe(2);
    const [row]: { n: number }[] = await t.dataSource.query('SELECT n FROM tx_probe WHERE id = 1');
    expect(row.n).toBe(12);
  });

  it('never reruns work that failed for its own reasons', async () => {
    let attempts = 0;
    await expect(
      inTransaction(t.dataSource, async (m) => {
        attempts += 1;
        await m.query('INSERT INTO tx_probe (id) VALUES (1)');
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(attempts).toBe(1);
  });
});
