import { describe, expect, it } from 'vitest';
import { hashPersonal, hashToken, newToken, sameHash } from './tokens';

describe('newToken', () => {
  it('gives 256 bits, URL-safe, after its prefix', () => {
    expect(newToken('cet_')).toMatch(/^cet_[A-Za-z0-9_-]{43}$/);
    expect(newToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never hands the same random bytes out twice, across many refills of its pool', () => {
    const tokens = Array.from({ length: 5_000 }, () => newToken());
    expect(new Set(tokens).size).toBe(tokens.length);
    // Not even a part of one: the bytes of every token are fresh.
    const halves = tokens.map((t) => Buffer.from(t, 'base64url').subarray(0, 16).toString('hex'));
    expect(new Set(halves).size).toBe(tokens.length);
  });

  it('uses every byte value: the pool is filled with randomness, not left zeroed', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i += 1) {
      for (const byte of Buffer.from(newToken(), 'base64url')) {
        seen.add(byte);
      }
    }
    expect(seen.size).toBe(256);
  });
});

describe('hashes stored in the database', () => {
  // Hashes already stored must still match: these are SHA-256 over the UTF-8 text.
  it('hashToken is the hex SHA-256 of the token', () => {
    expect(hashToken('cet_abc')).toBe(
      'c043d2d0930c8aa0315281e10e255cb1a29321a13bd59f1dc5fb19ecc3c63470',
    );
    // Text beyond ASCII is hashed as UTF-8 (é is two bytes).
    expect(hashToken('cet_é')).toBe(
      'f3dadacaff25ea5deb128cdf235dae1332a81c8d6c679ae2b0ede30c7de62de6',
    );
  });

  it('hashPersonal keys the value with the secret', () => {
    expect(hashPersonal('ip:10.0.0.1', 's3cret')).toBe(
      'bb0ba26b739a41fe47f3ed1805c7bf0ae84e94f8995be1507823cfc1f362cb21',
    );
    expect(hashPersonal('email:ana@example.org', 's3cret')).toBe(
      '166efe6b4afd9c3091aaa507dd78aa193d0a537356f1470962d95fa5aabc5fdf',
    );
    expect(hashPersonal('ip:10.0.0.1', 'other')).not.toBe(hashPersonal('ip:10.0.0.1', 's3cret'));
  });

  it('sameHash compares hex digests, and refuses digests of another length', () => {
    const digest = hashToken('cet_abc');
    expect(sameHash(digest, hashToken('cet_abc'))).toBe(true);
    expect(sameHash(digest, hashToken('cet_abd'))).toBe(false);
    expect(sameHash(digest, digest.slice(0, 32))).toBe(false);
  });
});
