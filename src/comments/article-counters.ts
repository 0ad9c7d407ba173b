import { randomInt } from 'node:crypto';
import { EntityManager } from 'typeorm';

/** Per article: how many visible comments a transaction added or removed, in total and by block. */
export type ArticleCounterMoves = Map<string, { total: number; blocks: Map<string, number> }>;

/**
 * Rows per (article, block) that writers spread their counter moves over
 * (migrations/1764510000000-ShardArticleCounters.ts): a hot article's writers meet on the same
 * row only one time in this many, and a read sums at most this many rows per counter.
 */
export const COUNTER_SHARDS = 16;

/** The block id under which an article's total is counted. */
export const ARTICLE_TOTAL = '';

/** Columns for unnest(): one row per counter that moves, sorted (the order rows are locked in). */
export interface CounterDeltas {
  articleIds: string[];
  blockIds: string[];
  deltas: number[];
}

export function counterDeltas(moves: ArticleCounterMoves): CounterDeltas {
  const rows: [string, string, number][] = [];
  for (const [articleId, move] of moves) {
    if (move.total !== 0) {
      rows.push([articleId, ARTICLE_TOTAL, move.total]);
    }
    for (const [blockId, delta] of move.blocks) {
      if (delta !== 0) {
        rows.push([articleId, blockId, delta]);
      }
    }
  }
  rows.sort(([a1, b1], [a2, b2]) => (a1 === a2 ? compare(b1, b2) : compare(a1, a2)));
  return {
    articleIds: rows.map(([a]) => a),
    blockIds: rows.map(([, b]) => b),
    deltas: rows.map(([, , d]) => d),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One counter move per visible comment that appeared (+1) or went (-1). */
export function addMove(
  moves: ArticleCounterMoves,
  comment: { articleId: string; anchorState: string | null; anchorBlockId: string | null },
  delta: number,
): void {
  const move = moves.get(comment.articleId) ?? { total: 0, blocks: new Map<string, number>() };
  move.total += delta;
  if (comment.anchorState === 'anchored' && comment.anchorBlockId) {
    move.blocks.set(comment.anchorBlockId, (move.blocks.get(comment.anchorBlockId) ?? 0) + delta);
  }
  moves.set(comment.articleId, move);
}

/**
 * The statement adding counter deltas to one shard, given the placeholders of its parameters
 * (article ids, block ids, deltas, shard), so a larger statement can carry it as a CTE. The rows
 * are inserted in sorted order: two writers on the same shard lock its rows alike.
 */
export function addToCountersSql(p: {
  articleIds: string;
  blockIds: string;
  deltas: string;
  shard: string;
  /** A condition for writing at all (e.g. that a row was inserted by another CTE). */
  when?: string;
}): string {
  return `INSERT INTO article_counts (article_id, block_id, shard, n)
    SELECT m.a, m.b, ${p.shard}::smallint, m.d
      FROM unnest(${p.articleIds}::uuid[], ${p.blockIds}::text[], ${p.deltas}::integer[])
        WITH ORDINALITY AS m(a, b, d, i)
     WHERE ${p.when ?? 'true'}
     ORDER BY m.i
    ON CONFLICT (article_id, block_id, shard) DO UPDATE SET n = article_counts.n + EXCLUDED.n`;
}

export function randomShard(): number {
  return randomInt(COUNTER_SHARDS);
}

/** Applies the moves a transaction collected, as one statement on one random shard. */
export async function applyCounterMoves(
  manager: EntityManager,
  moves: ArticleCounterMoves,
): Promise<void> {
  const rows = counterDeltas(moves);
  if (rows.articleIds.length === 0) {
    return;
  }
  await manager.query(
    addToCountersSql({ articleIds: '$1', blockIds: '$2', deltas: '$3', shard: '$4' }),
    [rows.articleIds, rows.blockIds, rows.deltas, randomShard()],
  );
}
