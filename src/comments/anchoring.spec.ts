import { describe, expect, it } from 'vitest';
import { normalizeQuote, quoteFoundIn, reanchor } from './anchoring';

const blocks = [
  { id: 'b1', text: 'The first paragraph speaks of tea.' },
  { id: 'b2', text: 'The second   paragraph speaks of coffee and of tea.' },
];

describe('anchoring', () => {
  it('finds quotes after whitespace and Unicode normalization', () => {
    expect(quoteFoundIn(blocks[1], normalizeQuote({ exact: 'second paragraph' }))).toBe(true);
    expect(quoteFoundIn(blocks[0], normalizeQuote({ exact: 'Cafe\u0301' }))).toBe(false);
    expect(quoteFoundIn({ id: 'x', text: 'Café' }, normalizeQuote({ exact: 'Cafe\u0301' }))).toBe(
      true,
    );
  });

  it('keeps an anchor whose block still holds the quote', () => {
    expect(reanchor({ blockId: 'b2', quote: { exact: 'tea' } }, blocks)).toEqual({
      blockId: 'b2',
      state: 'anchored',
    });
  });

  it('follows a quote that moved to another block', () => {
    const edited = [{ id: 'b9', text: 'Now: the first paragraph speaks of tea.' }, blocks[1]];
    expect(reanchor({ blockId: 'b1', quote: { exact: 'first paragraph speaks' } }, edited)).toEqual(
      { blockId: 'b9', state: 'anchored' },
    );
  });

  it('prefers the block whose context matches when the quote occurs in several', () => {
    const moved = [
      { id: 'c1', text: 'we drink tea daily' },
      { id: 'c2', text: 'coffee and of tea.' },
    ];
    expect(
      reanchor({ blockId: 'gone', quote: { exact: 'tea', prefix: 'and of ', suffix: '.' } }, moved),
    ).toEqual({ blockId: 'c2', state: 'anchored' });
  });

  it('orphans an anchor whose passage is gone, keeping its old block id', () => {
    expect(reanchor({ blockId: 'b1', quote: { exact: 'not there' } }, blocks)).toEqual({
      blockId: 'b1',
      state: 'orphaned',
    });
    expect(reanchor({ blockId: 'zz', quote: null }, blocks)).toEqual({
      blockId: 'zz',
      state: 'orphaned',
    });
  });

  it('re-anchors an orphan when its passage comes back', () => {
    expect(reanchor({ blockId: 'b1', quote: { exact: 'coffee' } }, blocks)).toEqual({
      blockId: 'b2',
      state: 'anchored',
    });
  });
});
