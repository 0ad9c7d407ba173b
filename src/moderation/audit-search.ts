import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface AuditFilter {
  actor?: string;
  action?: string;
  commentId?: string;
  /** Entries older than this id (the keyset of the previous page). */
  before?: string;
  limit: number;
}

export interface SiteAuditEntry {
  id: string;
  actor: string;
  action: string;
  commentId: string | null;
  articleSlug: string | null;
  fromStatus: string | null;
  toStatus: string | null;
  reason: string | null;
  at: string;
}

/**
 * The site-wide audit log, newest first: every decision on every comment, settings changes and
 * anything else recorded in moderation_events, filtered by actor, action or comment. Keyset by
 * id (the primary key; moderation_events_actor_idx when filtered by actor).
 */
@Injectable()
export class AuditSearch {
  constructor(private readonly dataSource: DataSource) {}

  async page(filter: AuditFilter): Promise<{ items: SiteAuditEntry[]; nextBefore: string | null }> {
    const params: unknown[] = [filter.limit + 1];
    const where: string[] = ['true'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.actor) add('e.actor = ?', filter.actor);
    if (filter.action) add('e.action = ?', filter.action);
    if (filter.commentId) add('e.comment_id = ?::uuid', filter.commentId);
    if (filter.before) add('e.id < ?::bigint', filter.before);
    const rows: {
      id: string;
      actor: string;
      action: string;
      comment_id: string | null;
      slug: string | null;
      from_status: string | null;
      to_status: string | null;
      reason: string | null;
      created_at: Date;
    }[] = await this.dataSource.query(
      `SELECT e.id::text AS id, e.actor, e.action, e.comment_id, a.slug, e.from_status,
         e.to_status, e.reason, e.created_at
       FROM moderation_events e LEFT JOIN articles a ON a.id = e.article_id
       WHERE ${where.join(' AND ')}
       ORDER BY e.id DESC LIMIT $1`,
      params,
    );
    const items = rows.slice(0, filter.limit).map((r) => ({
      id: r.id,
      actor: r.actor,
      action: r.action,
      commentId: r.comment_id,
      articleSlug: r.slug,
      fromStatus: r.from_status,
      toStatus: r.to_status,
      reason: r.reason,
      at: new Date(r.created_at).toISOString(),
    }));
    return {
      items,
      nextBefore: rows.length > filter.limit ? (items[items.length - 1]?.id ?? null) : null,
    };
  }

  /** The actors and actions seen so far, for the filter menus (bounded). */
  async choices(): Promise<{ actors: string[]; actions: string[] }> {
    const rows: { kind: string; value: string }[] = await this.dataSource.query(
      `(SELECT DISTINCT 'actor' AS kind, actor AS value FROM moderation_events LIMIT 200)
       UNION ALL
       (SELECT DISTINCT 'action', action FROM moderation_events LIMIT 100)`,
    );
    return {
      actors: rows
        .filter((r) => r.kind === 'actor')
        .map((r) => r.value)
        .sort(),
      actions: rows
        .filter((r) => r.kind === 'action')
        .map((r) => r.value)
        .sort(),
    };
  }
}
