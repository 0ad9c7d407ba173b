import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderBlocks, slugify, splitBlocks, summarize } from './article-blocks';
import { parseSeedPage, loadSeedArticle } from './seed-article';

describe('splitBlocks', () => {
  it('splits at blank lines and types each block', () => {
    const blocks = splitBlocks('# Title\n\nText with *em*.\n\n> quoted\n\n- a\n- b\n\n1. one');
    expect(blocks.map((b) => b.type)).toEqual(['heading', 'paragraph', 'quote', 'list', 'list']);
    expect(blocks[1]).toEqual({
      type: 'paragraph',
      html: '<p>Text with <em>em</em>.</p>',
      text: 'Text with em.',
    });
  });

  it('never lets raw HTML or script URLs through', () => {
    const [block] = splitBlocks('<script>alert(1)</script> [x](javascript:alert(1)) <b>b</b>');
    expect(block.html).not.toMatch(/<script|<b>|href="javascript/i);
    expect(block.text).toContain('<script>alert(1)</script>');
  });

  it('treats CRLF like LF', () => {
    expect(splitBlocks('a\r\n\r\nb').map((b) => b.text)).toEqual(['a', 'b']);
  });
});

describe('renderBlocks', () => {
  it('keeps ids of unchanged text wherever it moved and gives new text new ids', () => {
    const first = renderBlocks('A.\n\nB.\n\nC.');
    const second = renderBlocks('C.\n\nB changed.\n\nA.\n\nD.', first);
    expect(second[0].id).toBe(first[2].id);
    expect(second[2].id).toBe(first[0].id);
    const old = new Set(first.map((b) => b.id));
    expect(old.has(second[1].id)).toBe(false);
    expect(old.has(second[3].id)).toBe(false);
  });

  it('ids are unique within an article, whatever the text (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('x', 'y', 'z', 'same', 'same'), { maxLength: 12 }),
        fc.array(fc.constantFrom('x', 'y', 'same', 'new'), { maxLength: 12 }),
        (before, after) => {
          const previous = renderBlocks(before.join('\n\n'));
          const next = renderBlocks(after.join('\n\n'), previous);
          expect(new Set(next.map((b) => b.id)).size).toBe(next.length);
          // Every paragraph that existed before keeps an id it had, as long as copies last.
          const had = new Map<string, number>();
          previous.forEach((b) => had.set(b.text, (had.get(b.text) ?? 0) + 1));
          for (const block of next) {
            const left = had.get(block.text) ?? 0;
            if (left > 0) {
              expect(previous.some((p) => p.id === block.id && p.text === block.text)).toBe(true);
              had.set(block.text, left - 1);
            }
          }
        },
      ),
    );
  });
});

describe('slugify', () => {
  it.each([
    [
      'China seeks partnership with Turkey in combating terrorism',
      'china-seeks-partnership-with-turkey-in-combating-terrorism',
    ],
    ['  Ça va? Über—café!  ', 'ca-va-uber-cafe'],
    ['日本語', ''],
    ['a'.repeat(130), 'a'.repeat(120)],
  ])('%s → %s', (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });

  it('always yields a slug the database accepts, or nothing (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (title) => {
        const slug = slugify(title);
        expect(slug === '' || /^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug)).toBe(true);
        expect(slug.length).toBeLessThanOrEqual(120);
      }),
    );
  });
});

describe('summarize', () => {
  it('takes the first paragraph, cut at a word boundary', () => {
    const blocks = renderBlocks(`# Heading\n\n${'word '.repeat(100)}`);
    const summary = summarize(blocks, 30);
    expect(summary).toBe('word word word word word word…');
  });
});

describe('the seed article', () => {
  it('has the exact title, 23 body paragraphs and none of the footer lines', () => {
    const seed = loadSeedArticle();
    expect(seed.title).toBe('China seeks partnership with Turkey in combating terrorism');
    const paragraphs = seed.body.split('\n\n');
    expect(paragraphs).toHaveLength(23);
    expect(paragraphs[22]).toMatch(/he concluded\.$/);
    for (const footer of ['Subscribe to our newsletter', 'Notify of', 'Inline Feedbacks']) {
      expect(seed.body).not.toContain(footer);
    }
  });

  it('parses a page with CRLF line ends and blank lines the same', () => {
    const page = 'Title\r\n\r\nOne.\r\nTwo, he concluded.\r\nFooter';
    expect(parseSeedPage(page)).toEqual({ title: 'Title', body: 'One.\n\nTwo, he concluded.' });
  });
});
