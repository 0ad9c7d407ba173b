import { describe, expect, it } from 'vitest';
import { renderCommentBody } from '../comments/comment-body';
import { plainExcerpt } from './excerpt';

describe('plainExcerpt', () => {
  it('drops markup and keeps the words', () => {
    const { html } = renderCommentBody(
      'Hello **bold** and [a link](https://example.com)\n\n> quoted',
    );
    expect(plainExcerpt(html)).toBe('Hello bold and a link quoted');
  });

  it('turns escaped markup back into the text the reader typed, as text', () => {
    const { html } = renderCommentBody('<script>alert(1)</script> & <b>x</b>');
    expect(html).not.toContain('<script>');
    expect(plainExcerpt(html)).toBe('<script>alert(1)</script> & <b>x</b>');
  });

  it('cuts long bodies at a word boundary with an ellipsis, counting code points', () => {
    const long = `${'word '.repeat(100)}end`;
    const excerpt = plainExcerpt(renderCommentBody(long).html, 50);
    expect([...excerpt].length).toBeLessThanOrEqual(51);
    expect(excerpt.endsWith('word…')).toBe(true);
    const emoji = plainExcerpt('😀'.repeat(20), 10);
    expect(emoji).toBe(`${'😀'.repeat(10)}…`);
  });

  it('decodes numeric entities and ignores invalid ones', () => {
    expect(plainExcerpt('<p>a&#39;b &#x41; &#0; &bogus;</p>')).toBe("a'b A &bogus;");
  });
});
