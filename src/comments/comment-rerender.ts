import { DataSource } from 'typeorm';
import { updated } from '../database/updated-rows';
import { COMMENT_RENDER_VERSION, renderCommentBody } from './comment-body';

export interface RerenderResult {
  comments: number;
  revisions: number;
}

const TABLES = { comments: 'comments', revisions: 'comment_revisions' } as const;

/**
 * Renders again, from their markdown source, the comments and revisions stored by an older
 * renderer (`render_version` below COMMENT_RENDER_VERSION), in batches of `batchSize` rows with
 * one UPDATE each. A row whose source changed since it was read (an edit through an instance
 * still on the old renderer) or that a newer renderer wrote meanwhile is left alone, so running
 * this while the site is live never overwrites a newer body. Safe to run again: it then finds
 * nothing to do.
 */
export async function rerenderStaleBodies(
  dataSource: DataSource,
  batchSize = 500,
): Promise<RerenderResult> {
  const result: RerenderResult = { comments: 0, revisions: 0 };
  for (const [key, table] of Object.entries(TABLES) as [keyof RerenderResult, string][]) {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows: { id: string; body_source: string }[] = await dataSource.query(
        `SELECT id, body_source FROM ${table}
         WHERE render_version < $1 AND id > $2 ORDER BY id LIMIT $3`,
        [COMMENT_RENDER_VERSION, after, batchSize],
      );
      if (rows.length === 0) {
        break;
      }
      const written = updated(
        await dataSource.query(
          `UPDATE ${table} AS t SET body_html = u.html, render_version = $4
           FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, source, html)
           WHERE t.id = u.id AND t.body_source = u.source AND t.render_version < $4
           RETURNING t.id`,
          [
            rows.map((r) => r.id),
            rows.map((r) => r.body_source),
            rows.map((r) => renderCommentBody(r.body_source).html),
            COMMENT_RENDER_VERSION,
          ],
        ),
      );
      result[key] += written.count;
      after = rows[rows.length - 1].id;
    }
  }
  return result;
}
