import { randomBytes } from 'node:crypto';
import MarkdownIt from 'markdown-it';
import { ArticleBlock } from './article.entity';

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });
markdown.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  tokens[idx].attrSet('rel', 'noopener');
  return self.renderToken(tokens, idx, options);
};

function blockType(chunk: string): ArticleBlock['type'] {
  if (/^#{1,6}\s/.test(chunk)) {
    return 'heading';
  }
  if (/^>/.test(chunk)) {
    return 'quote';
  }
  if (/^([-*+]|\d+\.)\s/.test(chunk)) {
    return 'list';
  }
  if (/^```/.test(chunk)) {
    return 'code';
  }
  return 'paragraph';
}

function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

export function newBlockId(): string {
  return `b${randomBytes(5).toString('hex')}`;
}

/** Splits markdown into blocks at blank lines; each block is rendered on its own. */
export function splitBlocks(source: string): Omit<ArticleBlock, 'id'>[] {
  return source
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((chunk) => chunk.trim())
    .filter((chunk) => chunk.length > 0)
    .map((chunk) => {
      const html = markdown.render(chunk).trim();
      return { type: blockType(chunk), html, text: plainText(html) };
    });
}

/**
 * Renders a new body and gives each block an id: a block whose text is unchanged keeps the id it
 * had, wherever it moved (identical paragraphs are matched in order); anything new gets a new id.
 * Inline comments are anchored to these ids, so keeping them is what keeps the comments in place.
 */
export function renderBlocks(source: string, previous: ArticleBlock[] = []): ArticleBlock[] {
  const available = new Map<string, string[]>();
  for (const block of previous) {
    const ids = available.get(block.text) ?? [];
    ids.push(block.id);
    available.set(block.text, ids);
  }
  const used = new Set<string>();
  return splitBlocks(source).map((block) => {
    let id = available.get(block.text)?.shift();
    while (id === undefined || used.has(id)) {
      id = newBlockId();
    }
    used.add(id);
    return { id, ...block };
  });
}

/** Lower-case words of the title joined by `-` (accents folded, other characters dropped). */
export function slugify(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120)
    .replace(/-+$/, '');
}

/** The first paragraph, cut at a word boundary: used when an editor gives no summary. */
export function summarize(blocks: ArticleBlock[], max = 220): string {
  const first = blocks.find((b) => b.type === 'paragraph')?.text ?? '';
  if ([...first].length <= max) {
    return first;
  }
  const cut = [...first].slice(0, max).join('');
  return `${cut.slice(0, cut.lastIndexOf(' ')).replace(/[\s,;:]+$/, '')}…`;
}
