import { randomUUID } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import request from 'supertest';
import { AdminRole } from '../../src/auth/admin-token.entity';
import { AdminTokensService } from '../../src/auth/admin-tokens.service';
import { TestApp } from '../support/app';

/** A named admin token of the given role, made the way the CLI makes one. */
export async function adminToken(
  t: TestApp,
  name: string,
  role: AdminRole,
): Promise<{ Authorization: string }> {
  const token = await t.app.get(AdminTokensService).create(name, role);
  if (!token) {
    throw new Error(`a token named ${name} exists already`);
  }
  return { Authorization: `Bearer ${token}` };
}

/** The article's stored counters next to the same numbers counted afresh from the comments. */
export async function countersAndTruth(
  t: TestApp,
  articleId: string,
): Promise<{ stored: unknown; fresh: unknown }> {
  const [stored] = await t.dataSource.query(
    'SELECT article_comment_count($1) AS total, article_inline_counts($1) AS inline',
    [articleId],
  );
  const [total] = await t.dataSource.query(
    "SELECT count(*)::integer AS n FROM comments WHERE article_id = $1 AND status = 'approved'",
    [articleId],
  );
  const blocks: { block: string; n: number }[] = await t.dataSource.query(
    `SELECT anchor_block_id AS block, count(*)::integer AS n FROM comments
     WHERE article_id = $1 AND status = 'approved' AND anchor_state = 'anchored'
     GROUP BY anchor_block_id`,
    [articleId],
  );
  const inline: Record<string, number> = {};
  for (const [block, n] of Object.entries(stored.inline as Record<string, number>)) {
    if (n > 0) {
      inline[block] = n;
    }
  }
  return {
    stored: { total: Number(stored.total), inline },
    fresh: { total: total.n, inline: Object.fromEntries(blocks.map((b) => [b.block, b.n])) },
  };
}

/** Records the comment events the app emits, for assertions. */
export function recordEvents(t: TestApp): { published: string[]; withdrawn: string[] } {
  const seen = { published: [] as string[], withdrawn: [] as string[] };
  const events = t.app.get(EventEmitter2);
  events.on('comment.published', (e: { commentId: string }) => seen.published.push(e.commentId));
  events.on('comment.withdrawn', (e: { commentId: string }) => seen.withdrawn.push(e.commentId));
  return seen;
}

/**
 * Many pending comments inserted straight into the table (posting 500 through the API would
 * only measure the rate of posting). Returns their ids.
 */
export async function insertPendingComments(
  t: TestApp,
  articleId: string,
  n: number,
): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  await t.dataSource.query(
    `INSERT INTO comments (id, article_id, root_id, author_name, author_email, author_email_hash,
       body_source, body_html, render_version, status, reasons, edit_token_hash, editable_until,
       created_at)
     SELECT id, $2, id, 'Bulk reader', 'bulk' || ord || '@example.com', 'bulk-hash-' || ord,
       'bulk comment ' || ord, '<p>bulk comment ' || ord || '</p>', 1, 'pending',
       ARRAY['held for the test'], 'x', now(), now() - (ord || ' milliseconds')::interval
     FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)`,
    [ids, articleId],
  );
  return ids;
}

export function approve(t: TestApp, id: string, auth = t.admin) {
  return request(t.http).patch(`/api/admin/comments/${id}`).set(auth).send({ status: 'approved' });
}
