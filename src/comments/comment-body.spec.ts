import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { executableMarkupIn } from '../../test/support/inert-html';
import { LINK_REL, renderCommentBody, sanitizeCommentHtml } from './comment-body';

const render = (source: string) => renderCommentBody(source).html;

function tagsOf(html: string): string[] {
  return [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1].toLowerCase());
}

describe('renderCommentBody', () => {
  it('renders the markdown subset', () => {
    expect(render('hello *world* **bold** `code`')).toBe(
      '<p>hello <em>world</em> <strong>bold</strong> <code>code</code></p>\n',
    );
    expect(render('> quoted')).toContain('<blockquote>\n<p>quoted</p>\n</blockquote>');
    expect(render('- a\n- b')).toBe('<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n');
    expect(render('1. one')).toBe('<ol>\n<li>one</li>\n</ol>\n');
    expect(render('```\nx < y\n```')).toBe('<pre><code>x &lt; y\n</code></pre>\n');
    expect(render('line one\nline two')).toBe('<p>line one<br>\nline two</p>\n');
  });

  it('forces rel on links and keeps only http, https and mailto targets', () => {
    expect(render('[site](https://example.com/a?b=1)')).toBe(
      `<p><a href="https://example.com/a?b=1" rel="${LINK_REL}">site</a></p>\n`,
    );
    expect(render('[mail](mailto:a@example.com)')).toContain('href="mailto:a@example.com"');
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', '//evil.example', '/relative']) {
      const html = render(`[x](${bad})`);
      expect(html).not.toContain('href');
    }
  });

  it('shows raw HTML as text instead of parsing it', () => {
    expect(render('<script>alert(1)</script>')).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n',
    );
    expect(render('<b onclick="x()">b</b>')).not.toContain('<b');
  });

  it('drops headings, images, tables and rules from the subset', () => {
    const html = render(
      '# title\n\n![alt](https://example.com/x.png)\n\n---\n\n| a |\n|---|\n| b |',
    );
    // The image syntax degrades to "!" and a plain link.
    expect(tagsOf(html).filter((t) => !['p', 'br', 'a'].includes(t))).toEqual([]);
  });

  it('sanitizes hostile HTML to the allowlist, overriding rel and dropping every other attribute', () => {
    const html = sanitizeCommentHtml(
      '<a href="https://x.example" rel="opener" target="_blank" onclick="x()" style="a" id="i">x</a>' +
        '<img src=x onerror=alert(1)><svg><script>alert(1)</script></svg><p class="c">ok</p>',
    );
    expect(html).toBe(`<a href="https://x.example" rel="${LINK_REL}">x</a><p>ok</p>`);
  });

  it('is idempotent: sanitizing its output changes nothing', () => {
    const html = render('[a](https://a.example) *b* <i>c</i>\n\n> d');
    expect(sanitizeCommentHtml(html)).toBe(html);
  });

  it('stamps the render version', () => {
    expect(renderCommentBody('x').renderVersion).toBeGreaterThanOrEqual(1);
  });

  it('never yields script, event handlers or javascript: URLs for any body (property)', () => {
    const hostile = fc.constantFrom(
      '<script>',
      '</script>',
      '<img src=x onerror=alert(1)>',
      'javascript:',
      '[x](javascript:alert(1))',
      '<a href="',
      '"',
      "'",
      ' onmouseover=',
      '<svg/onload=alert(1)>',
      '`',
      '*',
      '>',
      '\n\n',
      '](',
      '&#106;avascript:',
      '<!--',
      '-->',
      '<iframe src=',
    );
    const body = fc
      .array(fc.oneof(hostile, fc.string(), fc.string({ unit: 'grapheme' })), { maxLength: 30 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(body, (source) => {
        const html = render(source);
        expect(executableMarkupIn(html)).toBeNull();
        expect(sanitizeCommentHtml(html)).toBe(html);
      }),
      { numRuns: 300, seed: 20261129 },
    );
  });
});
