import MarkdownIt from 'markdown-it';
import { escapeHtml, LINK_REL, SAFE_URL, sanitizeCommentHtml } from './comment-html-allowlist';

export { ALLOWED_TAGS, LINK_REL, sanitizeCommentHtml } from './comment-html-allowlist';

/**
 * Bumped whenever the markdown subset or the sanitizer profile changes, so stored comments can be
 * found and re-rendered from their source (`npm run admin -- comments rerender`).
 * 2: HTML built from markdown-it's tokens against the allowlist, no DOM (was DOMPurify on jsdom).
 */
export const COMMENT_RENDER_VERSION = 2;

/** markdown-it's own limit (its default): content nested deeper than this is not parsed at all. */
const MAX_PARSE_NESTING = 100;
/** Quotes and lists nested deeper than this show their text without more elements around it. */
const MAX_BLOCK_NESTING = 20;
/** Emphasis nested deeper than this shows its text without more <em>/<strong> around it. */
const MAX_INLINE_NESTING = 8;
/** A run of more * or _ than this is text: "***" is the most emphasis one run can open. */
const MAX_DELIMITER_RUN = 3;
/** Characters the link rule may scan for link texts in one body, in all; the rest is text. */
const LINK_SCAN_BUDGET = 20_000;

// html:false: raw HTML in the source is shown as text, never parsed as markup.
const markdown = new MarkdownIt({
  html: false,
  linkify: false,
  typographer: false,
  breaks: true,
  maxNesting: MAX_PARSE_NESTING,
}).disable(['heading', 'lheading', 'hr', 'table', 'strikethrough', 'image', 'reference']);

/*
 * markdown-it is linear on most input but not all: a long run of emphasis markers makes one token
 * per character, and every "[" scans ahead for its "]" (10,000 of them: tens of milliseconds).
 * These two rules bound both, leaving ordinary comments exactly as CommonMark renders them.
 */
markdown.inline.ruler.before('emphasis', 'long_delimiter_run', (state, silent) => {
  const marker = state.src.charCodeAt(state.pos);
  if (marker !== 0x2a && marker !== 0x5f) {
    return false;
  }
  let end = state.pos;
  while (end < state.posMax && state.src.charCodeAt(end) === marker) {
    end += 1;
  }
  if (end - state.pos <= MAX_DELIMITER_RUN) {
    return false;
  }
  if (!silent) {
    state.pending += state.src.slice(state.pos, end);
  }
  state.pos = end;
  return true;
});

type StateInline = MarkdownIt.StateInline;
type Token = MarkdownIt.Token;

interface RenderEnv extends MarkdownIt.Env {
  linkScanBudget: number;
}

/**
 * markdown-it's parseLinkLabel, but every step of every scan (nested ones included: a scan skips
 * over inner links by parsing them) is charged to the body's budget; an empty budget ends the scan
 * as if no "]" had been found, and the "[" is then text.
 */
function parseLinkLabel(state: StateInline, start: number, disableNested?: boolean): number {
  const env = state.env as RenderEnv;
  const max = state.posMax;
  const oldPos = state.pos;
  let level = 1;
  let found = false;
  state.pos = start + 1;
  while (state.pos < max && env.linkScanBudget > 0) {
    env.linkScanBudget -= 1;
    const marker = state.src.charCodeAt(state.pos);
    if (marker === 0x5d) {
      level -= 1;
      if (level === 0) {
        found = true;
        break;
      }
    }
    const prevPos = state.pos;
    state.md.inline.skipToken(state);
    if (marker === 0x5b) {
      if (prevPos === state.pos - 1) {
        level += 1;
      } else if (disableNested) {
        state.pos = oldPos;
        return -1;
      }
    }
  }
  const labelEnd = found ? state.pos : -1;
  state.pos = oldPos;
  return labelEnd;
}
markdown.helpers.parseLinkLabel = parseLinkLabel;

/** The opening and closing tags a block token stands for, when it is one we render. */
const BLOCK_TAGS = new Set(['p', 'blockquote', 'ul', 'ol', 'li']);

/**
 * Block tokens → HTML, with markdown-it's own line breaks between tags (so the output matches what
 * its renderer gave) but no attribute from the token stream, ever: `<ol start>`, a fence's
 * language class and the like are dropped.
 */
function renderBlocks(tokens: Token[]): string {
  let out = '';
  // Containers (quotes, lists, items) open now, and whether each was written.
  const written: boolean[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i];
    if (token.type === 'inline') {
      out += renderInline(token.children ?? []);
    } else if (token.type === 'code_block' || token.type === 'fence') {
      out += `<pre><code>${escapeHtml(token.content)}</code></pre>\n`;
    } else if (token.nesting !== 0 && BLOCK_TAGS.has(token.tag)) {
      if (token.hidden) {
        continue;
      }
      if (token.tag !== 'p') {
        if (token.nesting === 1) {
          written.push(depth < MAX_BLOCK_NESTING);
          depth += 1;
          if (!written[written.length - 1]) {
            // Items of a list too deep to show as one still start on a line of their own.
            out += token.tag === 'li' ? '<br>\n' : '';
            continue;
          }
        } else {
          depth -= 1;
          if (!written.pop()) {
            continue;
          }
        }
      }
      if (token.nesting === 1 && i > 0 && tokens[i - 1].hidden) {
        out += '\n';
      }
      out += token.nesting === 1 ? `<${token.tag}>` : `</${token.tag}>`;
      const next = tokens[i + 1];
      const tight =
        token.nesting === 1 &&
        next !== undefined &&
        (next.type === 'inline' || next.hidden || (next.nesting === -1 && next.tag === token.tag));
      out += tight ? '' : '\n';
    } else if (token.content) {
      out += escapeHtml(token.content);
    }
  }
  return out;
}

const INLINE_TAGS: Record<string, string> = {
  em_open: '<em>',
  em_close: '</em>',
  strong_open: '<strong>',
  strong_close: '</strong>',
  link_close: '</a>',
};

function renderInline(tokens: Token[]): string {
  let out = '';
  // Whether each open em/strong/link was written, so its close matches.
  const written: boolean[] = [];
  let depth = 0;
  for (const token of tokens) {
    if (token.type === 'text' || token.type === 'text_special') {
      out += escapeHtml(token.content);
    } else if (token.type === 'softbreak' || token.type === 'hardbreak') {
      out += '<br>\n';
    } else if (token.type === 'code_inline') {
      out += `<code>${escapeHtml(token.content)}</code>`;
    } else if (token.nesting === 1) {
      const write = depth < MAX_INLINE_NESTING;
      written.push(write);
      depth += write ? 1 : 0;
      if (write && token.type === 'link_open') {
        const href = String(token.attrGet('href') ?? '').trim();
        out += SAFE_URL.test(href)
          ? `<a href="${escapeHtml(href)}" rel="${LINK_REL}">`
          : `<a rel="${LINK_REL}">`;
      } else if (write) {
        out += INLINE_TAGS[token.type] ?? '';
      }
    } else if (token.nesting === -1) {
      if (written.pop()) {
        depth -= 1;
        out += INLINE_TAGS[token.type] ?? '';
      }
    } else if (token.content) {
      out += escapeHtml(token.content);
    }
  }
  return out;
}

/**
 * Markdown subset → markdown-it tokens → HTML built only from allowlisted tags → the allowlist
 * pass. The HTML is safe by construction; the pass is the last step and a second line of defence
 * (nothing may touch the HTML after it: a transform after sanitizing is how WordPress's
 * "Comment2Shell" reopened markup). No DOM, linear in the body: microseconds, not seconds.
 */
export function renderCommentBody(source: string): { html: string; renderVersion: number } {
  const env: RenderEnv = { linkScanBudget: LINK_SCAN_BUDGET };
  return {
    html: sanitizeCommentHtml(renderBlocks(markdown.parse(source, env))),
    renderVersion: COMMENT_RENDER_VERSION,
  };
}
