import { describe, expect, it } from 'vitest';
import { codePointLength } from './text-rules';

describe('codePointLength', () => {
  it('counts what a reader counts: one per character, an emoji or an astral letter included', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('Grüße')).toBe(5);
    expect(codePointLength('a😀b')).toBe(3);
    expect(codePointLength('😀'.repeat(10_000))).toBe(10_000);
    expect(codePointLength('𝔘𝔫𝔦')).toBe(3);
  });

  it('counts a lone surrogate as one, as Array.from does, wherever it stands', () => {
    for (const text of [
      '\ud800',
      '\udc00',
      'x\ud83d',
      '\ude00x',
      '\udc00\ud800',
      '😀\ud83d',
      '\ud83d😀',
    ]) {
      expect(codePointLength(text)).toBe(Array.from(text).length);
    }
  });

  it('agrees with Array.from on random mixes of pairs, halves and plain letters', () => {
    const parts = ['\ud83d', '\ude00', '😀', 'x', 'é'];
    let seed = 7;
    for (let n = 0; n < 500; n += 1) {
      let text = '';
      for (let i = 0; i < 24; i += 1) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        text += parts[seed % parts.length];
      }
      expect(codePointLength(text)).toBe(Array.from(text).length);
    }
  });
});
