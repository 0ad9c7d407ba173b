import { describe, expect, it } from 'vitest';
import { ByteBudgetCache } from './byte-budget-cache';

const size = (key: string, value: string) => ByteBudgetCache.sizeOf(key, value);

describe('ByteBudgetCache', () => {
  it('never holds more bytes than its budget, evicting the least recently used first', () => {
    const value = 'x'.repeat(1000);
    const budget = 3 * size('a', value);
    const cache = new ByteBudgetCache(budget, 60_000);
    cache.set('a', value);
    cache.set('b', value);
    cache.set('c', value);
    expect(cache.get('a')).toBe(value); // a is now the most recently used
    cache.set('d', value);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(value);
    expect(cache.get('c')).toBe(value);
    expect(cache.get('d')).toBe(value);
    expect(cache.bytes).toBeLessThanOrEqual(budget);
    for (let i = 0; i < 1000; i += 1) {
      cache.set(String.fromCharCode(0x100 + i), value);
      expect(cache.bytes).toBeLessThanOrEqual(budget);
    }
    expect(cache.size).toBe(3);
  });

  it('counts keys too: long client-chosen keys cannot slip past the budget', () => {
    const cache = new ByteBudgetCache(10_000, 60_000);
    for (let i = 0; i < 100; i += 1) {
      cache.set(`${i}${'k'.repeat(2000)}`, '');
    }
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.size).toBe(2);
  });

  it('does not store a value larger than the whole budget, and keeps what it had', () => {
    const cache = new ByteBudgetCache(5_000, 60_000);
    cache.set('small', 'x');
    cache.set('huge', 'x'.repeat(10_000));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('small')).toBe('x');
  });

  it('never serves an expired entry, and drops expired entries instead of keeping them', () => {
    let now = 1_000;
    const cache = new ByteBudgetCache(1_000_000, 100, () => now);
    cache.set('a', 'old');
    now += 100;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
    for (let i = 0; i < 50; i += 1) {
      cache.set(`k${i}`, 'v');
    }
    now += 150;
    cache.set('fresh', 'v');
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(size('fresh', 'v'));
  });

  it('replacing a key charges only the new value', () => {
    const cache = new ByteBudgetCache(1_000_000, 60_000);
    cache.set('a', 'x'.repeat(100));
    cache.set('a', 'y');
    expect(cache.bytes).toBe(size('a', 'y'));
    cache.clear();
    expect(cache.bytes).toBe(0);
  });
});
