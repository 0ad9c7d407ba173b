import { JSDOM } from 'jsdom';

const ALLOWED = new Set([
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
]);
const parser = new JSDOM('');

/**
 * Why a piece of comment HTML could execute or restyle anything, or null when it is inert: it is
 * parsed the way a browser would, and every element and attribute is checked against the allowlist.
 */
export function executableMarkupIn(html: string): string | null {
  const template = parser.window.document.createElement('template');
  template.innerHTML = html;
  const walker = parser.window.document.createTreeWalker(template.content, 1);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node as Element;
    const tag = element.localName;
    if (!ALLOWED.has(tag)) {
      return `element <${tag}>`;
    }
    for (const attribute of Array.from(element.attributes)) {
      if (tag !== 'a' || !['href', 'rel'].includes(attribute.name)) {
        return `attribute ${attribute.name} on <${tag}>`;
      }
      if (attribute.name === 'href' && !/^(https?:|mailto:)/i.test(attribute.value.trim())) {
        return `href ${attribute.value}`;
      }
    }
    if (tag === 'a' && element.getAttribute('rel') !== 'nofollow ugc noopener') {
      return 'link without rel="nofollow ugc noopener"';
    }
  }
  return null;
}

/** Same check for a whole page: no script but our own files, no inline handlers, no js: URLs. */
export function executableMarkupInPage(html: string): string | null {
  const document = new JSDOM(html).window.document;
  for (const script of Array.from(document.querySelectorAll('script'))) {
    if (!/^\/assets\/[\w.-]+\.js$/.test(script.getAttribute('src') ?? '')) {
      return `script ${script.outerHTML.slice(0, 80)}`;
    }
  }
  for (const element of Array.from(document.querySelectorAll('*'))) {
    for (const attribute of Array.from(element.attributes)) {
      if (/^on/i.test(attribute.name)) {
        return `handler ${attribute.name} on <${element.localName}>`;
      }
      if (
        /^\s*(javascript|vbscript|data):/i.test(attribute.value) &&
        attribute.name !== 'content'
      ) {
        return `${attribute.name}=${attribute.value.slice(0, 60)}`;
      }
    }
    if (['iframe', 'object', 'embed', 'svg', 'math', 'img', 'base'].includes(element.localName)) {
      return `element <${element.localName}>`;
    }
  }
  return null;
}
