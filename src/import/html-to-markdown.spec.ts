import { describe, expect, it } from 'vitest';
import { renderCommentBody } from '../comments/comment-body';
import { htmlToMarkdown } from './html-to-markdown';

const render = (html: string, autoParagraphs = true) =>
  renderCommentBody(htmlToMarkdown(html, { autoParagraphs })).html;

describe('htmlToMarkdown', () => {
  it('reads WordPress bare newlines as paragraphs and line breaks', () => {
    expect(render('One\nstill one\n\nTwo <em>x</em>')).toBe(
      '<p>One<br>\nstill one</p>\n<p>Two <em>x</em></p>\n',
    );
  });

  it('keeps plain text as text, markdown characters included', () => {
    expect(render('5 * 3 = 15 and _not emphasis_ [not a link](x)')).toContain(
      '5 * 3 = 15 and _not emphasis_ [not a link](x)',
    );
  });

  it('drops scripts, handlers, images and unsafe links, keeping their words', () => {
    const html = render(
      'Hi<script>alert(1)</script> <img src=x onerror=alert(2) alt="a cat"> <a href="javascript:alert(3)">click</a> <a href="https://e.org" onclick="x()">ok</a>',
    );
    expect(html).not.toMatch(/script|onerror|onclick|javascript|<img/);
    expect(html).toContain('a cat');
    expect(html).toContain('click');
    expect(html).toContain('<a href="https://e.org"');
  });
});
