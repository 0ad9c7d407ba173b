const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

/** Default length of a quoted comment in a mail, in characters (code points). */
export const EXCERPT_LENGTH = 280;

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff
        ? String.fromCodePoint(code)
        : '';
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * A comment's stored (sanitized) HTML as a short plain-text excerpt for mail: markup dropped,
 * entities decoded, whitespace collapsed, cut at a word boundary. The result is text; templates
 * escape it like any other text, so nothing in it can become markup in the mail.
 */
export function plainExcerpt(html: string, max = EXCERPT_LENGTH): string {
  const text = decodeEntities(
    html.replace(/<(br|\/p|\/li|\/blockquote|\/pre)\b[^>]*>/gi, ' ').replace(/<[^>]*>/g, ''),
  )
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...text];
  if (chars.length <= max) {
    return text;
  }
  const cut = chars.slice(0, max).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
