import createDOMPurify, { Config } from 'dompurify';
import { JSDOM } from 'jsdom';
import MarkdownIt from 'markdown-it';

/**
 * Bumped whenever the markdown subset or the sanitizer profile changes, so stored comments can be
 * found and re-rendered from their source.
 */
export const COMMENT_RENDER_VERSION = 1;

export const ALLOWED_TAGS = [
  'p',
  'br',
  'a',
  'em',
  'strong',
  'code',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
] as const;

export const LINK_REL = 'nofollow ugc noopener';
const SAFE_URL = /^(?:https?:|mailto:)/i;

// html:false: raw HTML in the source is shown as text, never parsed as markup.
const markdown = new MarkdownIt({
  html: false,
  linkify: false,
  typographer: false,
  breaks: true,
}).disable(['heading', 'lheading', 'hr', 'table', 'strikethrough', 'image', 'reference']);

// One window for the life of the process: creating a jsdom window per comment costs milliseconds.
const purify = createDOMPurify(new JSDOM('').window);
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'A') {
    return;
  }
  const href = node.getAttribute('href');
  if (href !== null && !SAFE_URL.test(href.trim())) {
    node.removeAttribute('href');
  }
  node.setAttribute('rel', LINK_REL);
});

const PURIFY_CONFIG: Config = {
  ALLOWED_TAGS: [...ALLOWED_TAGS],
  ALLOWED_ATTR: ['href'],
  ALLOWED_URI_REGEXP: SAFE_URL,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  KEEP_CONTENT: true,
  RETURN_TRUSTED_TYPE: false,
};

/** Sanitizes HTML with the comment allowlist. Exported for tests and for re-rendering. */
export function sanitizeCommentHtml(html: string): string {
  return purify.sanitize(html, PURIFY_CONFIG);
}

/**
 * Markdown subset → HTML → sanitizer. The sanitizer is the last step: nothing may touch the HTML
 * after it (a transform after sanitizing is how WordPress's "Comment2Shell" reopened markup).
 */
export function renderCommentBody(source: string): { html: string; renderVersion: number } {
  return {
    html: sanitizeCommentHtml(markdown.render(source)),
    renderVersion: COMMENT_RENDER_VERSION,
  };
}
