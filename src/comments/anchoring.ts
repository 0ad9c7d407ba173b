import { AnchorState, Quote } from './comment.entity';

export interface AnchorBlock {
  id: string;
  text: string;
}

export interface ResolvedAnchor {
  blockId: string;
  state: AnchorState;
}

/** Block text and quotes are compared after NFC and whitespace collapsing, as the reader sees them. */
export function normalizeText(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}

export function normalizeQuote(quote: Quote): Quote {
  return {
    exact: normalizeText(quote.exact),
    prefix:
      quote.prefix === undefined ? undefined : quote.prefix.normalize('NFC').replace(/\s+/g, ' '),
    suffix:
      quote.suffix === undefined ? undefined : quote.suffix.normalize('NFC').replace(/\s+/g, ' '),
  };
}

/** How well the quote's context matches where `exact` occurs in `text` (0 = not found). */
function matchScore(text: string, quote: Quote): number {
  const normalized = normalizeText(text);
  let best = 0;
  for (
    let at = normalized.indexOf(quote.exact);
    at >= 0;
    at = normalized.indexOf(quote.exact, at + 1)
  ) {
    let score = 1;
    if (quote.prefix && normalized.slice(0, at).endsWith(quote.prefix.trimStart())) {
      score += 1;
    }
    if (
      quote.suffix &&
      normalized.slice(at + quote.exact.length).startsWith(quote.suffix.trimEnd())
    ) {
      score += 1;
    }
    best = Math.max(best, score);
    if (quote.exact.length === 0) {
      break;
    }
  }
  return best;
}

export function quoteFoundIn(block: AnchorBlock, quote: Quote): boolean {
  return quote.exact.length > 0 && matchScore(block.text, quote) > 0;
}

/**
 * Where an anchor belongs after the article's blocks changed: its own block while that block
 * still holds the quote (or still exists, for a whole-block anchor); else the block that holds the
 * quote best (prefix and suffix break ties, then document order); else orphaned on its old block.
 */
export function reanchor(
  anchor: { blockId: string; quote: Quote | null },
  blocks: AnchorBlock[],
): ResolvedAnchor {
  const own = blocks.find((b) => b.id === anchor.blockId);
  if (!anchor.quote) {
    return { blockId: anchor.blockId, state: own ? 'anchored' : 'orphaned' };
  }
  if (own && quoteFoundIn(own, anchor.quote)) {
    return { blockId: own.id, state: 'anchored' };
  }
  let best: { id: string; score: number } | null = null;
  for (const block of blocks) {
    const score = matchScore(block.text, anchor.quote);
    if (score > 0 && (!best || score > best.score)) {
      best = { id: block.id, score };
    }
  }
  return best
    ? { blockId: best.id, state: 'anchored' }
    : { blockId: anchor.blockId, state: 'orphaned' };
}
