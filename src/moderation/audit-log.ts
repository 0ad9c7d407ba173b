import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface AuditEntry {
  actor: string;
  action: string;
  commentId?: string | null;
  articleId?: string | null;
  fromStatus?: string | null;
  toStatus?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEvent {
  id: string;
  actor: string;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
  reason: string | null;
  details: Record<string, unknown>;
  at: string;
}

interface AuditRow {
  id: string;
  actor: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  reason: string | null;
  details: Record<string, unknown>;
  created_at: Date;
}

/** Append-only record of who did what (the table refuses UPDATE and DELETE). */
@Injectable()
export class AuditLog {
  async record(manager: EntityManager, entry: AuditEntry): Promise<void> {
    await manager.query(
      `INSERT INTO moderation_events
         (comment_id, article_id, actor, action, from_status, to_status, reason, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        entry.commentId ?? null,
        entry.articleId ?? null,
        entry.actor,
        entry.action,
        entry.fromStatus ?? null,
        entry.toStatus ?? null,
        entry.reason ?? null,
        JSON.stringify(entry.details ?? {}),
      ],
    );
  }

  async forComment(manager: EntityManager, commentId: string): Promise<AuditEvent[]> {
    const rows: AuditRow[] = await manager.query(
      `SELECT id, actor, action, from_status, to_status, reason, details, created_at
       FROM moderation_events WHERE comment_id = $1 ORDER BY id`,
      [commentId],
    );
    return rows.map((r) => ({
      id: String(r.id),
      actor: r.actor,
      action: r.action,
      fromStatus: r.from_status,
      toStatus: r.to_status,
      reason: r.reason,
      details: r.details,
      at: r.created_at.toISOString(),
    }));
  }
}
