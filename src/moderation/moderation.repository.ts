import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { cursorTimeSql } from '../common/cursor';
import { CommentEntity } from '../comments/comment.entity';
import { QueueView, ReportView } from './dto/admin-comment.dto';

export interface QueueFilter {
  view: QueueView;
  articleSlug?: string;
  limit: number;
  /** [createdAt to the microsecond, id] of the last comment of the previous page. */
  after?: readonly [string, string];
}

/**
 * "Reported": reports received since the comment was last approved, and not decided away since.
 * Driven from comment_reports (small) into the comments by primary key, then sorted.
 */
const REPORTED = `c.status IN ('approved', 'pending')
  AND c.id IN (SELECT comment_id FROM comment_reports)
  AND EXISTS (SELECT 1 FROM comment_reports r WHERE r.comment_id = c.id
    AND r.created_at > COALESCE(c.approved_at, '-infinity'::timestamptz))`;

/**
 * The SQL of one queue page, `limit + 1` rows of `(id, created_at, cursorTime)` newest first, with its
 * parameters ($1 is the limit). Shared by the API's list and the console's one-statement review,
 * so both see exactly the same queue.
 */
export function queuePageQuery(filter: QueueFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [filter.limit + 1];
  const where: string[] = [];
  if (filter.view === 'reported') {
    where.push(REPORTED);
  } else {
    params.push(filter.view);
    where.push(`c.status = $${params.length}`);
  }
  if (filter.articleSlug) {
    params.push(filter.articleSlug);
    where.push(`c.article_id = (SELECT id FROM articles WHERE slug = $${params.length})`);
  }
  if (filter.after) {
    params.push(...filter.after);
    where.push(
      `(c.created_at, c.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
    );
  }
  return {
    sql: `SELECT c.id, c.created_at, ${cursorTimeSql('c.created_at')} AS "cursorTime"
       FROM comments c WHERE ${where.join(' AND ')}
       ORDER BY c.created_at DESC, c.id DESC LIMIT $1`,
    params,
  };
}

/** How many comments wait in each view, each counted up to QUEUE_COUNT_CAP (shown as "999+"). */
export const QUEUE_COUNT_CAP = 1000;
export const QUEUE_COUNTS_SQL = `json_build_object(
  'pending', (SELECT count(*) FROM (SELECT 1 FROM comments c WHERE c.status = 'pending' LIMIT ${QUEUE_COUNT_CAP}) x),
  'reported', (SELECT count(*) FROM (SELECT 1 FROM comments c WHERE ${REPORTED} LIMIT ${QUEUE_COUNT_CAP}) x),
  'spam', (SELECT count(*) FROM (SELECT 1 FROM comments c WHERE c.status = 'spam' LIMIT ${QUEUE_COUNT_CAP}) x),
  'trash', (SELECT count(*) FROM (SELECT 1 FROM comments c WHERE c.status = 'trash' LIMIT ${QUEUE_COUNT_CAP}) x))`;

/** The moderators' reads and writes on comments that the public side never needs. */
@Injectable()
export class ModerationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One page of the queue, newest first, keyset by (created_at, id): served by comments_pending_idx,
   * comments_status_time_idx or, for one article, comments_article_status_time_idx.
   */
  async findQueuePage(filter: QueueFilter): Promise<{ id: string; cursorTime: string }[]> {
    const { sql, params } = queuePageQuery(filter);
    const rows: { id: string; cursorTime: string }[] = await this.dataSource.query(sql, params);
    return rows.map((r) => ({ id: r.id, cursorTime: r.cursorTime }));
  }

  /** Readers act only on comments of a published article (a draft's comments are not public). */
  async isArticlePublished(manager: EntityManager, articleId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      "SELECT 1 FROM articles WHERE id = $1 AND status = 'published'",
      [articleId],
    );
    return rows.length > 0;
  }

  /** The comments with these ids and their articles' slugs, in no particular order. */
  async findWithSlugs(
    ids: string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ comments: CommentEntity[]; slugs: Map<string, string> }> {
    if (ids.length === 0) {
      return { comments: [], slugs: new Map() };
    }
    const comments = await manager.find(CommentEntity, { where: { id: In(ids) } });
    const rows: { id: string; slug: string }[] = await manager.query(
      'SELECT id, slug FROM articles WHERE id = ANY($1::uuid[])',
      [[...new Set(comments.map((c) => c.articleId))]],
    );
    return { comments, slugs: new Map(rows.map((r) => [r.id, r.slug])) };
  }

  /** Every report on these comments, newest first. */
  async findReports(
    ids: string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Map<string, ReportView[]>> {
    const byComment = new Map<string, ReportView[]>();
    if (ids.length === 0) {
      return byComment;
    }
    const rows: { comment_id: string; reason: string; created_at: Date }[] = await manager.query(
      `SELECT comment_id, reason, created_at FROM comment_reports
       WHERE comment_id = ANY($1::uuid[]) ORDER BY created_at DESC, voter_key`,
      [ids],
    );
    for (const row of rows) {
      const list = byComment.get(row.comment_id) ?? [];
      list.push({ reason: row.reason, at: new Date(row.created_at).toISOString() });
      byComment.set(row.comment_id, list);
    }
    return byComment;
  }

  /**
   * Locks many comments for a bulk decision (FOR NO KEY UPDATE: votes and replies referencing
   * them are not held up). Rows are locked in id order, so two bulk calls over overlapping ids
   * queue behind each other instead of deadlocking.
   */
  lockManyInIdOrder(manager: EntityManager, ids: string[]): Promise<CommentEntity[]> {
    return manager
      .createQueryBuilder(CommentEntity, 'c')
      .where('c.id IN (:...ids)', { ids })
      .orderBy('c.id')
      .setLock('for_no_key_update')
      .getMany();
  }

  async setPinned(manager: EntityManager, id: string, pinned: boolean): Promise<void> {
    await manager.query('UPDATE comments SET pinned = $2 WHERE id = $1', [id, pinned]);
  }

  /** Any reply at all, whatever its status: the foreign key keeps the parent row while it exists. */
  async hasReplies(manager: EntityManager, id: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      'SELECT 1 FROM comments WHERE parent_id = $1 LIMIT 1',
      [id],
    );
    return rows.length > 0;
  }

  /** Erases what a purged comment said and who said it, keeping the row as its replies' parent. */
  async erasePlaceholder(manager: EntityManager, id: string): Promise<void> {
    await manager.query(
      `UPDATE comments SET author_name = '', author_email = '', author_email_hash = '',
         body_source = '', body_html = '', anchor_quote = NULL, ip_hash = NULL,
         user_agent = NULL, pinned = false, reasons = '{}'
       WHERE id = $1`,
      [id],
    );
    await manager.query('DELETE FROM comment_revisions WHERE comment_id = $1', [id]);
    await manager.query('DELETE FROM comment_reports WHERE comment_id = $1', [id]);
  }

  /** Deletes the row; its votes, revisions and reports go with it (ON DELETE CASCADE). */
  async deleteComment(manager: EntityManager, id: string): Promise<void> {
    await manager.query('DELETE FROM comments WHERE id = $1', [id]);
  }

  /** Records one voter's report; false when that voter had already reported the comment. */
  async addReport(
    manager: EntityManager,
    report: {
      commentId: string;
      articleId: string;
      voterKey: string;
      reason: string;
      ipHash: string;
      networkHash: string;
    },
  ): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO comment_reports (comment_id, voter_key, article_id, reason, ip_hash, network_hash)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ON CONSTRAINT comment_reports_one_per_voter DO NOTHING
       RETURNING 1`,
      [
        report.commentId,
        report.voterKey,
        report.articleId,
        report.reason,
        report.ipHash,
        report.networkHash,
      ],
    );
    return rows.length > 0;
  }

  /**
   * Distinct networks that reported the comment since it was last approved (a moderator's approval
   * clears them). Reports older than the network column count by their address.
   */
  async countReportingNetworks(manager: EntityManager, comment: CommentEntity): Promise<number> {
    const rows: { n: number }[] = await manager.query(
      `SELECT count(DISTINCT COALESCE(network_hash, ip_hash, voter_key))::integer AS n
       FROM comment_reports
       WHERE comment_id = $1 AND created_at > COALESCE($2::timestamptz, '-infinity'::timestamptz)`,
      [comment.id, comment.approvedAt],
    );
    return Number(rows[0].n);
  }

  /**
   * An explicit approval of comments that are approved already: those with reports since their
   * last approval are approved again (approved_at moves on), which takes them out of the
   * "reported" view; returns them with the number of reports cleared. Call with the rows locked.
   */
  async clearReports(
    manager: EntityManager,
    ids: string[],
  ): Promise<{ id: string; articleId: string; cleared: number }[]> {
    if (ids.length === 0) {
      return [];
    }
    const result: unknown = await manager.query(
      `WITH reported AS (
         SELECT c.id, count(*)::integer AS cleared FROM comments c
         JOIN comment_reports r ON r.comment_id = c.id
           AND r.created_at > COALESCE(c.approved_at, '-infinity'::timestamptz)
         WHERE c.id = ANY($1::uuid[]) AND c.status = 'approved'
         GROUP BY c.id
       )
       UPDATE comments c SET approved_at = clock_timestamp()
       FROM reported
       WHERE c.id = reported.id
       RETURNING c.id, c.article_id AS "articleId", reported.cleared`,
      [ids],
    );
    // node-postgres answers UPDATE … RETURNING through TypeORM as [rows, count].
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as {
      id: string;
      articleId: string;
      cleared: number;
    }[];
    return rows.map((r) => ({ id: r.id, articleId: r.articleId, cleared: Number(r.cleared) }));
  }

  async findArticleSlugOf(commentId: string): Promise<string | null> {
    const rows: { slug: string }[] = await this.dataSource.query(
      'SELECT a.slug FROM comments c JOIN articles a ON a.id = c.article_id WHERE c.id = $1',
      [commentId],
    );
    return rows[0]?.slug ?? null;
  }
}
