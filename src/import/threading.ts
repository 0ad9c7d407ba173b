import { count, ImportReport } from './import-report';
import { ThreadPlace } from './import-store';

/** A comment of the file before it is placed in its thread. */
export interface Incoming {
  externalId: string;
  parentExternalId: string | null;
  articleId: string;
}

export interface Placed<T extends Incoming> {
  item: T;
  id: string;
  place: ThreadPlace;
  parentId: string | null;
}

/**
 * Places a batch of new comments under their parents: a parent in the batch (in any order), or
 * one imported before (`known`: external id → place). Returns the placed comments parents first,
 * and those whose parent is not known yet (`waiting`). With `orphansToTop`, a comment whose
 * parent is nowhere (or in a cycle, or on another article) becomes a top-level comment instead,
 * and the report says so.
 */
export function placeInThreads<T extends Incoming>(
  batch: { item: T; id: string }[],
  known: Map<string, ThreadPlace>,
  report: ImportReport,
  orphansToTop: boolean,
): { placed: Placed<T>[]; waiting: T[] } {
  const byExternal = new Map(batch.map((b) => [b.item.externalId, b]));
  const placedBy = new Map<string, Placed<T>>();
  const placed: Placed<T>[] = [];
  const waiting: T[] = [];
  const waitingIds = new Set<string>();

  const top = (b: { item: T; id: string }): Placed<T> => ({
    item: b.item,
    id: b.id,
    parentId: null,
    place: { id: b.id, articleId: b.item.articleId, rootId: b.id, depth: 0, path: [] },
  });
  const under = (b: { item: T; id: string }, parent: ThreadPlace): Placed<T> => ({
    item: b.item,
    id: b.id,
    parentId: parent.id,
    place: {
      id: b.id,
      articleId: b.item.articleId,
      rootId: parent.rootId,
      depth: parent.depth + 1,
      path: [...parent.path, parent.id],
    },
  });

  for (const start of batch) {
    if (placedBy.has(start.item.externalId) || waitingIds.has(start.item.externalId)) {
      continue;
    }
    // Walk up to the first ancestor already placed, then place the chain downwards.
    const chain: { item: T; id: string }[] = [];
    const seen = new Set<string>();
    let cursor: { item: T; id: string } | undefined = start;
    let anchor: ThreadPlace | null = null;
    let outcome: 'top' | 'under' | 'waiting' | 'cycle' = 'top';
    while (cursor) {
      if (seen.has(cursor.item.externalId)) {
        outcome = 'cycle';
        break;
      }
      seen.add(cursor.item.externalId);
      chain.push(cursor);
      const parentExt: string | null = cursor.item.parentExternalId;
      if (parentExt === null) {
        outcome = 'top';
        break;
      }
      if (waitingIds.has(parentExt)) {
        outcome = 'waiting';
        break;
      }
      const done = placedBy.get(parentExt);
      const old = known.get(parentExt);
      if (done || old) {
        anchor = done ? done.place : old!;
        outcome = 'under';
        break;
      }
      cursor = byExternal.get(parentExt);
      if (!cursor) {
        outcome = 'waiting';
      }
    }
    if (outcome === 'waiting' && !orphansToTop) {
      for (const c of chain) {
        waiting.push(c.item);
        waitingIds.add(c.item.externalId);
      }
      continue;
    }
    chain.reverse();
    let parent: ThreadPlace | null = outcome === 'under' ? anchor : null;
    chain.forEach((c, i) => {
      let p: Placed<T>;
      if (parent !== null && parent.articleId !== c.item.articleId) {
        count(report.notes, 'reply to a comment of another article made top-level');
        p = top(c);
      } else if (parent === null) {
        if (i === 0 && outcome !== 'top') {
          count(
            report.notes,
            outcome === 'cycle'
              ? 'reply in a parent cycle made top-level'
              : 'reply whose parent is missing made top-level',
          );
        }
        p = top(c);
      } else {
        p = under(c, parent);
      }
      placedBy.set(c.item.externalId, p);
      placed.push(p);
      parent = p.place;
    });
  }
  return { placed, waiting };
}
