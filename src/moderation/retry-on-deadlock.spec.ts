import { describe, expect, it } from 'vitest';
import { retryOnDeadlock } from './retry-on-deadlock';

const failure = (code: string) => Object.assign(new Error(code), { code });

describe('retryOnDeadlock', () => {
  it('reruns work that PostgreSQL aborted for a deadlock or a serialization failure', async () => {
    const codes = ['40P01', '40001'];
    let calls = 0;
    const result = await retryOnDeadlock(() => {
      calls += 1;
      return calls <= codes.length
        ? Promise.reject(failure(codes[calls - 1]))
        : Promise.resolve('done');
    });
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('gives up after the last attempt and never retries other errors', async () => {
    let calls = 0;
    await expect(
      retryOnDeadlock(() => {
        calls += 1;
        return Promise.reject(failure('40P01'));
      }, 2),
    ).rejects.toThrow('40P01');
    expect(calls).toBe(2);
    calls = 0;
    await expect(
      retryOnDeadlock(() => {
        calls += 1;
        return Promise.reject(failure('23505'));
      }),
    ).rejects.toThrow('23505');
    expect(calls).toBe(1);
  });
});
