import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor';

const forge = (json: string) => Buffer.from(json, 'utf8').toString('base64url');
const UUID = '6f1c3a52-8d0e-4b7a-9a51-2f4b1c0d9e11';

describe('decodeCursor', () => {
  it('round-trips what encodeCursor made, microseconds included', () => {
    const values = [1, -2147483648, '2026-03-01T10:00:00.123456Z', UUID] as const;
    expect(decodeCursor(encodeCursor(values), ['flag', 'int32', 'timestamp', 'uuid'])).toEqual(
      values,
    );
  });

  it.each([
    ['SQL for a timestamp', `["x'); DROP TABLE x;--","${UUID}"]`],
    ['a number for a timestamp', `[1e308,"${UUID}"]`],
    ['a lone surrogate', `["\\ud800","${UUID}"]`],
    ['31 February', `["2026-02-31T00:00:00Z","${UUID}"]`],
    ['hour 24', `["2026-02-01T24:00:00Z","${UUID}"]`],
    ['seven fractional digits', `["2026-02-01T10:00:00.1234567Z","${UUID}"]`],
    ['no zone', `["2026-02-01T10:00:00","${UUID}"]`],
    ['a timestamp for an id', '["2026-02-01T10:00:00Z","2026-02-01T10:00:00Z"]'],
    ['too few values', '["2026-02-01T10:00:00Z"]'],
    ['too many values', `["2026-02-01T10:00:00Z","${UUID}",1]`],
    ['an object', '{"0":"a","1":"b"}'],
    ['not JSON', 'nope'],
  ])('refuses %s with a 400', (_what, json) => {
    expect(() => decodeCursor(forge(json), ['timestamp', 'uuid'])).toThrow('cursor is not valid');
  });

  it.each([2147483648, -2147483649, 1.5, 1e308, '1'])('refuses %s as an int32', (value) => {
    expect(() => decodeCursor(forge(JSON.stringify([value])), ['int32'])).toThrow(
      'cursor is not valid',
    );
  });

  it.each([2, -1, true, '1'])('refuses %s as a flag', (value) => {
    expect(() => decodeCursor(forge(JSON.stringify([value])), ['flag'])).toThrow(
      'cursor is not valid',
    );
  });
});
