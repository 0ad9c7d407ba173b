import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CommentEntity, CommentStatus } from '../comments/comment.entity';
import { ReportView } from './dto/admin-comment.dto';
import { QUEUE_COUNTS_SQL, QueueFilter, queuePageQuery } from './moderation.repository';

/** How many of the author's other comments a queue item lists (the counts cover them all). */
export const OTHER_COMMENTS_SHOWN = 5;

export interface QueueCounts {
  pending: number;
  reported: number;
  spam: number;
  trash: number;
}

export interface ParentView {
  id: string;
  authorName: string;
  bodyHtml: string;
  status: CommentStatus;
  createdAt: string;
}

export interface OtherCommentView {
  id: string;
  status: CommentStatus;
  createdAt: string;
  articleSlug: string;
  excerpt: string;
}

export interface ReviewRow {
  comment: CommentEntity;
  /** created_at to the microsecond, for the next page's cursor. */
  cursorTime: string;
  articleSlug: string;
  articleTitle: string;
  reports: ReportView[];
  /** The text of the passage an inline comment is anchored to, as the article has it now. */
  anchorText: string | null;
  parent: ParentView | null;
  others: OtherCommentView[];
  otherCounts: Partial<Record<CommentStatus, number>>;
}

interface RawJsonTime {
  at?: string;
  createdAt?: string;
}

const iso = (value: string | Date) => new Date(value).toISOString();

/**
 * The console's queue page in ONE statement: the page of the queue (the very query the API's list
 * runs), each comment with its article, reports, anchored passage, parent and the author's other
 * comments (by address hash, served by comments_author_time_idx), and the queue counts. Per item
 * it runs only index lookups; nothing is fetched per item from Node.
 */
@Injectable()
export class QueueReviewRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findReviewPage(filter: QueueFilter): Promise<{ rows: ReviewRow[]; counts: QueueCounts }> {
    const page = queuePageQuery(filter);
    const meta = this.dataSource.getMetadata(CommentEntity);
    const columns = meta.columns
      .map((column) => `c.${column.databaseName} AS "c_${column.propertyName}"`)
      .join(',\n         ');
    const raw: Record<string, unknown>[] = await this.dataSource.query(
      `WITH page AS (${page.sql}),
       counts AS (SELECT ${QUEUE_COUNTS_SQL} AS counts)
       SELECT counts.counts, item.* FROM counts LEFT JOIN LATERAL (
         SELECT page.created_at AS page_created_at, page.id AS page_id,
         page."cursorTime" AS page_cursor_time,
         ${columns},
         a.slug AS article_slug, a.title AS article_title,
         (SELECT b->>'text' FROM jsonb_array_elements(a.blocks) b
          WHERE b->>'id' = c.anchor_block_id LIMIT 1) AS anchor_text,
         (SELECT COALESCE(json_agg(json_build_object('reason', r.reason, 'at', r.created_at)
            ORDER BY r.created_at DESC), '[]'::json)
          FROM comment_reports r WHERE r.comment_id = c.id) AS reports,
         (SELECT json_build_object('id', p.id, 'authorName', p.author_name,
            'bodyHtml', p.body_html, 'status', p.status, 'createdAt', p.created_at)
          FROM comments p WHERE p.id = c.parent_id) AS parent,
         (SELECT COALESCE(json_agg(o ORDER BY o."createdAt" DESC), '[]'::json) FROM (
            SELECT o.id, o.status, o.created_at AS "createdAt", oa.slug AS "articleSlug",
              left(o.body_source, 160) AS excerpt
            FROM comments o JOIN articles oa ON oa.id = o.article_id
            WHERE o.author_email_hash = c.author_email_hash AND o.id <> c.id
              AND c.author_email_hash <> ''
            ORDER BY o.created_at DESC LIMIT ${OTHER_COMMENTS_SHOWN}) o) AS others,
         (SELECT COALESCE(json_object_agg(x.status, x.n), '{}'::json) FROM (
            SELECT o.status, count(*) AS n FROM comments o
            WHERE o.author_email_hash = c.author_email_hash AND o.id <> c.id
              AND c.author_email_hash <> ''
            GROUP BY o.status) x) AS other_counts
         FROM page JOIN comments c ON c.id = page.id JOIN articles a ON a.id = c.article_id
       ) item ON true
       ORDER BY item.page_created_at DESC, item.page_id DESC`,
      page.params,
    );
    const counts = (raw[0]?.counts ?? {}) as QueueCounts;
    const rows = raw
      .filter((r) => r.page_id !== null && r.page_id !== undefined)
      .map((r) => this.toRow(r, meta));
    return { rows, counts };
  }

  /** Only the counts: what the live badges need after a NOTIFY. */
  async counts(): Promise<QueueCounts> {
    const rows: { counts: QueueCounts }[] = await this.dataSource.query(
      `SELECT ${QUEUE_COUNTS_SQL} AS counts`,
    );
    return rows[0].counts;
  }

  private toRow(
    r: Record<string, unknown>,
    meta: ReturnType<DataSource['getMetadata']>,
  ): ReviewRow {
    const comment = meta.create() as CommentEntity;
    for (const column of meta.columns) {
      column.setEntityValue(
        comment,
        this.dataSource.driver.prepareHydratedValue(r[`c_${column.propertyName}`], column),
      );
    }
    const parent = r.parent as (ParentView & RawJsonTime) | null;
    return {
      comment,
      cursorTime: r.page_cursor_time as string,
      articleSlug: r.article_slug as string,
      articleTitle: r.article_title as string,
      anchorText: (r.anchor_text as string | null) ?? null,
      reports: (r.reports as (ReportView & RawJsonTime)[]).map((x) => ({
        reason: x.reason,
        at: iso(x.at),
      })),
      parent: parent ? { ...parent, createdAt: iso(parent.createdAt) } : null,
      others: (r.others as OtherCommentView[]).map((o) => ({ ...o, createdAt: iso(o.createdAt) })),
      otherCounts: Object.fromEntries(
        Object.entries(r.other_counts as Record<string, unknown>).map(([k, v]) => [k, Number(v)]),
      ),
    };
  }
}
