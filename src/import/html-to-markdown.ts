import TurndownService from 'turndown';

const SAFE_HREF = /^(?:https?:|mailto:)/i;

const turndown = new TurndownService({
  headingStyle: 'atx',
  codeBlockStyle: 'fenced',
  emDelimiter: '_',
  bulletListMarker: '-',
});
// Their content is code or styling, never words a reader wrote.
turndown.remove(['script', 'style', 'noscript', 'iframe', 'object', 'embed', 'template']);
// Comments carry no images (the subset has none): an image leaves its description, if any.
turndown.addRule('image-as-text', {
  filter: 'img',
  replacement: (_content, node) => {
    const alt = node.getAttribute('alt')?.trim();
    return alt ? turndown.escape(alt) : '';
  },
});
// A link to anything but the web or mail keeps only its words.
turndown.addRule('unsafe-link-as-text', {
  filter: (node) =>
    node.nodeName === 'A' && !SAFE_HREF.test(node.getAttribute('href')?.trim() ?? ''),
  replacement: (content) => content,
});

const MARKUP = /[<&]/;
const MARKDOWN_SPECIALS = /([\\`*_[\]<>#|~]|^\s*[-+]\s|^\s*\d+\.\s|^\s*>)/gm;

/**
 * WordPress stores comments with bare newlines and adds paragraphs only when it displays them
 * (wpautop): a blank line is a new paragraph, a single newline a line break.
 */
function autoParagraphs(html: string): string {
  return html
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) =>
      /^<(p|ul|ol|blockquote|pre|div|h\d)\b/i.test(p) ? p : `<p>${p.replace(/\n/g, '<br>\n')}</p>`,
    )
    .join('\n');
}

/** Plain text as markdown that renders back to the same text. */
function escapeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim().replace(MARKDOWN_SPECIALS, (m) => m.replace(/([^\s])/, '\\$1')))
    .filter((p) => p !== '')
    .join('\n\n');
}

/**
 * An imported body (WordPress or Disqus HTML, possibly hostile) as the markdown subset new
 * comments are written in; the result still goes through renderCommentBody, whose sanitizer is
 * the last step. Plain text skips the HTML parser: most comments are plain text.
 */
export function htmlToMarkdown(html: string, options: { autoParagraphs?: boolean } = {}): string {
  if (!MARKUP.test(html)) {
    return escapeText(html);
  }
  const source = options.autoParagraphs ? autoParagraphs(html) : html;
  return turndown.turndown(source).trim();
}
