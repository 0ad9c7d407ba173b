import { describe, expect, it } from 'vitest';
import { assertSafeJson } from './json-body';

function nest(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) {
    value = [value];
  }
  return value;
}

describe('assertSafeJson', () => {
  it('accepts 32 levels and rejects 33 without recursing (100,000 levels)', () => {
    expect(() => assertSafeJson(nest(32))).not.toThrow();
    expect(() => assertSafeJson(nest(33))).toThrow('JSON nested deeper than 32 levels');
    expect(() => assertSafeJson(nest(100_000))).toThrow('JSON nested deeper than 32 levels');
  });

  it.each([
    [{ a: 'x\u0000' }, 'a contains a NUL character'],
    [{ a: ['ok', '\ud83d'] }, 'a contains an unpaired surrogate'],
    [{ 'k\u0001': 1 }, 'a key in body contains a control character'],
    [JSON.parse('{"__proto__": {}}') as unknown, 'may not be named "__proto__"'],
    [{ a: { constructor: 1 } }, 'may not be named "constructor"'],
  ])('rejects %j', (body, message) => {
    expect(() => assertSafeJson(body)).toThrow(message);
  });

  it('accepts tabs and newlines in values, and astral characters', () => {
    expect(() => assertSafeJson({ body: 'a\tb\nc\r\nd 😀', list: [1, null, true] })).not.toThrow();
  });
});
