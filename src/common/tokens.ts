import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 bits from the CSPRNG, URL-safe. Optionally prefixed so a leaked token says what it is. */
export function newToken(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Tokens are stored only as this hash; a database leak yields no usable token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Keyed hash of a personal value (an IP, an address) that must be comparable but not readable. */
export function hashPersonal(value: string, secret: string): string {
  return createHash('sha256').update(`${secret}\u0000${value}`, 'utf8').digest('hex');
}
