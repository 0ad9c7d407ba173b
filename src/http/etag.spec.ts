import { describe, expect, it } from 'vitest';
import { isFresh, weakEtag } from './etag';

describe('weakEtag', () => {
  it('gives the ETags Express gave (the etag package, weak)', () => {
    expect(weakEtag('')).toBe('W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"');
    expect(weakEtag('{"status":"ok"}')).toBe('W/"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg"');
    // The length is in bytes, not characters.
    expect(weakEtag('é'.repeat(10))).toBe('W/"14-ToWZ0ajCKsorf5kMyF8F6yMH4EQ"');
    expect(weakEtag(Buffer.from('é'.repeat(10)))).toBe(weakEtag('é'.repeat(10)));
  });
});

describe('isFresh', () => {
  const etag = 'W/"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg"';

  it('matches the tag, its strong form, a list, or *', () => {
    expect(isFresh({ 'if-none-match': etag }, etag)).toBe(true);
    expect(isFresh({ 'if-none-match': '"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg"' }, etag)).toBe(true);
    expect(isFresh({ 'if-none-match': `"other", ${etag}` }, etag)).toBe(true);
    expect(isFresh({ 'if-none-match': '*' }, etag)).toBe(true);
  });

  it('is not fresh without a match, or when the client asks for no-cache', () => {
    expect(isFresh({}, etag)).toBe(false);
    expect(isFresh({ 'if-none-match': 'W/"f-other"' }, etag)).toBe(false);
    expect(isFresh({ 'if-none-match': etag, 'cache-control': 'no-cache' }, etag)).toBe(false);
    expect(isFresh({ 'if-none-match': etag, 'cache-control': 'max-age=0' }, etag)).toBe(true);
  });
});
