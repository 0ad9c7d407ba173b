/**
 * The comment HTML allowlist, applied to a string without building a DOM: one left-to-right pass,
 * linear in the input. Whatever is not an allowlisted tag is text, and all text is escaped, so the
 * output holds no markup but these tags, no attribute but `href` (http, https, mailto) and a forced
 * `rel` on links, and every element it opens is closed in order.
 */

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
export const SAFE_URL = /^(?:https?:|mailto:)/i;

const ALLOWED = new Set<string>(ALLOWED_TAGS);
const VOID = new Set(['br']);
/** Elements dropped with everything inside them, not only their tags. */
const DROP_CONTENT = new Set([
  'script',
  'style',
  'svg',
  'math',
  'iframe',
  'noscript',
  'noembed',
  'noframes',
  'template',
  'textarea',
  'title',
  'xmp',
  'object',
  'select',
]);

const SPECIAL = /[&<>"]/;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Escapes text and attribute values the way markdown-it does, so the pass is a fixpoint. */
export function escapeHtml(text: string): string {
  return SPECIAL.test(text) ? text.replace(/[&<>"]/g, (c) => ESCAPES[c]) : text;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes an attribute value; null when it holds an entity we do not know (so we drop it). */
function decodeAttribute(raw: string): string | null {
  let unknown = false;
  const decoded = raw.replace(
    /&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z][a-z0-9]{0,31});?/gi,
    (_, ref: string) => {
      if (ref[0] === '#') {
        const code =
          ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
        if (code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) {
          return String.fromCodePoint(code);
        }
        unknown = true;
        return '';
      }
      const named = NAMED[ref.toLowerCase()];
      if (named === undefined) {
        unknown = true;
        return '';
      }
      return named;
    },
  );
  return unknown ? null : decoded;
}

const ENTITY = /&(?:#x[0-9a-f]{1,6}|#\d{1,7}|[a-z][a-z0-9]{0,31});/iy;

/** Text between tags: entity references kept as written, every other special character escaped. */
function escapeText(text: string): string {
  if (!SPECIAL.test(text)) {
    return text;
  }
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '&') {
      ENTITY.lastIndex = i;
      const m = ENTITY.exec(text);
      if (m) {
        out += m[0];
        i += m[0].length - 1;
        continue;
      }
    }
    out += ESCAPES[c] ?? c;
  }
  return out;
}

interface Tag {
  end: number;
  closing: boolean;
  name: string;
  attributes: Map<string, string>;
}

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}
function isNameChar(c: number): boolean {
  return isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
}
/** Tab, line feed, form feed, carriage return, space: HTML's whitespace. */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

/**
 * Reads a tag at `start` (a "<"). Our grammar is stricter than a browser's: a tag ends at the first
 * ">" outside quotes and may not contain "<" at all; anything else is not a tag, and so is text.
 * Stopping at "<" keeps the pass linear however many unclosed tags a body holds.
 */
function readTag(html: string, start: number): Tag | null {
  let i = start + 1;
  const closing = html[i] === '/';
  if (closing) {
    i += 1;
  }
  if (!isLetter(html.charCodeAt(i))) {
    return null;
  }
  const nameStart = i;
  while (i < html.length && isNameChar(html.charCodeAt(i))) {
    i += 1;
  }
  const name = html.slice(nameStart, i).toLowerCase();
  const attributes = new Map<string, string>();
  for (;;) {
    while (i < html.length && (isSpace(html.charCodeAt(i)) || html[i] === '/')) {
      i += 1;
    }
    const c = html[i];
    if (c === undefined || c === '<') {
      return null;
    }
    if (c === '>') {
      return { end: i + 1, closing, name, attributes };
    }
    const attrStart = i;
    while (i < html.length && !isSpace(html.charCodeAt(i)) && !'/>=<'.includes(html[i])) {
      i += 1;
    }
    const attrName = html.slice(attrStart, i).toLowerCase();
    while (i < html.length && isSpace(html.charCodeAt(i))) {
      i += 1;
    }
    let value = '';
    if (html[i] === '=') {
      i += 1;
      while (i < html.length && isSpace(html.charCodeAt(i))) {
        i += 1;
      }
      const quote = html[i];
      if (quote === '"' || quote === "'") {
        let close = i + 1;
        while (close < html.length && html[close] !== quote && html[close] !== '<') {
          close += 1;
        }
        if (html[close] !== quote) {
          return null;
        }
        value = html.slice(i + 1, close);
        i = close + 1;
      } else {
        const valueStart = i;
        while (i < html.length && !isSpace(html.charCodeAt(i)) && !'<>'.includes(html[i])) {
          i += 1;
        }
        value = html.slice(valueStart, i);
      }
    }
    // The first of two same-named attributes wins, as in a browser.
    if (attrName && !attributes.has(attrName)) {
      attributes.set(attrName, value);
    }
  }
}

/**
 * Where a comment (`<!-- … -->`, dropped up to the end when unclosed, as a browser would) or a
 * declaration or processing instruction (`<!…>`, `<?…>`) starting at `start` ends; -1 if none does.
 */
function declarationEnd(html: string, start: number): number {
  if (html.startsWith('<!--', start)) {
    const close = html.indexOf('-->', start + 4);
    return close === -1 ? html.length : close + 3;
  }
  if (html[start + 1] !== '!' && html[start + 1] !== '?') {
    return -1;
  }
  for (let i = start + 2; i < html.length; i += 1) {
    if (html[i] === '>') {
      return i + 1;
    }
    if (html[i] === '<') {
      return -1;
    }
  }
  return -1;
}

function openTag(tag: Tag): string {
  if (tag.name !== 'a') {
    return `<${tag.name}>`;
  }
  const raw = tag.attributes.get('href');
  const href = raw === undefined ? null : decodeAttribute(raw)?.trim();
  return href && SAFE_URL.test(href)
    ? `<a href="${escapeHtml(href)}" rel="${LINK_REL}">`
    : `<a rel="${LINK_REL}">`;
}

/** Sanitizes HTML with the comment allowlist. Idempotent: its output passes through unchanged. */
export function sanitizeCommentHtml(html: string): string {
  let out = '';
  const open: string[] = [];
  let textStart = 0;
  let lower: string | undefined;
  let i = html.indexOf('<');
  while (i !== -1) {
    const tag = readTag(html, i);
    const skip = tag ? -1 : declarationEnd(html, i);
    if (!tag && skip === -1) {
      i = html.indexOf('<', i + 1);
      continue;
    }
    out += escapeText(html.slice(textStart, i));
    let next = tag ? tag.end : skip;
    if (tag && ALLOWED.has(tag.name)) {
      if (!tag.closing && !VOID.has(tag.name)) {
        // A list item outside a list would close the page's own list item around the comment.
        if (tag.name !== 'li' || ['ul', 'ol'].includes(open[open.length - 1])) {
          open.push(tag.name);
          out += openTag(tag);
        }
      } else if (!tag.closing) {
        out += `<${tag.name}>`;
      } else if (open.includes(tag.name)) {
        // Closing an element closes everything opened inside it; a stray close tag is dropped.
        while (open.length > 0) {
          const name = open.pop()!;
          out += `</${name}>`;
          if (name === tag.name) {
            break;
          }
        }
      }
    } else if (tag && !tag.closing && DROP_CONTENT.has(tag.name)) {
      lower ??= html.toLowerCase();
      const closeAt = lower.indexOf(`</${tag.name}`, next);
      const closeEnd = closeAt === -1 ? -1 : html.indexOf('>', closeAt);
      next = closeEnd === -1 ? html.length : closeEnd + 1;
    }
    textStart = next;
    i = html.indexOf('<', next);
  }
  out += escapeText(html.slice(textStart));
  while (open.length > 0) {
    out += `</${open.pop()!}>`;
  }
  return out;
}
