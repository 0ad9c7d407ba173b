import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ArticleBlock } from '../articles/article.entity';
import { Housekeeping } from '../common/housekeeping';
import { BucketCount, consumeSql, PlannedHits } from '../common/rate-limit';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { preparedStatementsOn, queryPrepared, StatementTexts } from '../database/prepared';
import {
  addMove,
  addToCountersSql,
  ArticleCounterMoves,
  counterDeltas,
  randomShard,
} from './article-counters';
import { CommentEntity, CommentStatus } from './comment.entity';

/** What posting reads before it writes, in one statement (readContext). */
export interface PostingContext {
  /** The rate-limit buckets the post counted against, with their counts. */
  hits: BucketCount[];
  article: { id: string; commentsOpen: boolean; blocks: ArticleBlock[] } | null;
  parent: {
    id: string;
    articleId: string;
    status: CommentStatus;
    rootId: string;
    depth: number;
    path: string[];
  } | null;
  /** The address has an approved comment somewhere on the site (moderation mode "first"). */
  trusted: boolean;
  /** The value of the screen's prefetch expression. */
  screen: unknown;
  /** The arrival interests' probes, in their order (CommentArrivals). */
  probed: boolean[];
}

export interface ContextQuery {
  slug: string;
  withBlocks: boolean;
  parentId: string | null;
  emailHash: string;
  hits: PlannedHits | null;
  screen: string | null;
  probes: readonly string[];
}

/** How the write went: the comment is stored only when both checks passed. */
export interface ArrivalOutcome {
  /** False: the same body came from this address on this article within the window. */
  claimed: boolean;
  /** False: the parent is no longer approved (read under its row lock). */
  parentApproved: boolean;
}

/** The double-submit window: the same body from the same address on one article. */
export const DUPLICATE_WINDOW_SECONDS = 60;

/**
 * The two statements of a new comment (src/comments/post-comment.service.ts): one that counts
 * the rate limits and reads all posting needs, one that writes the comment with everything that
 * must commit with it. Both are prepared statements (src/database/prepared.ts).
 */
@Injectable()
export class CommentArrivalRepository {
  private readonly prepared: boolean;
  private readonly contextTexts = new StatementTexts();
  private readonly writeTexts = new StatementTexts();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    housekeeping: Housekeeping,
  ) {
    this.prepared = preparedStatementsOn(config);
    housekeeping.register({
      name: 'comment claims',
      sql: `DELETE FROM comment_body_claims
            WHERE claimed_at < now() - interval '${DUPLICATE_WINDOW_SECONDS} seconds'`,
    });
  }

  async readContext(q: ContextQuery): Promise<PostingContext> {
    const params: unknown[] = [q.slug, q.parentId, q.emailHash];
    if (q.hits) {
      params.push(...q.hits.params);
    }
    const rows: {
      context: {
        hits: BucketCount[] | null;
        article: PostingContext['article'];
        parent: PostingContext['parent'];
        trusted: boolean;
        screen: unknown;
        probed: boolean[];
      };
    }[] = await queryPrepared(
      this.dataSource.manager,
      this.contextTexts.of([q.hits !== null, q.withBlocks, q.screen, q.probes], () =>
        contextSql(q),
      ),
      params,
      this.prepared,
    );
    const { context } = rows[0];
    return { ...context, hits: context.hits ?? [] };
  }

  /**
   * Writes a new comment in one statement, through `manager` when listeners must join it in a
   * transaction: the double-submit claim, the ancestors locked in id order (and the parent's
   * status read under that lock), the comment itself, then, if it is visible, its ancestors'
   * reply counts and its article's counter shard; and every `records` statement of the arrival
   * interests over the inserted row (CommentArrivals). Nothing is written unless both checks pass.
   * In a transaction that goes on to other locks, `counters: 'later'` leaves the counter shard to
   * the caller's last statement (the lock order of src/database/transactions.ts).
   */
  async write(
    comment: CommentEntity,
    records: readonly string[],
    manager: EntityManager = this.dataSource.manager,
    counters: 'now' | 'later' = 'now',
  ): Promise<ArrivalOutcome> {
    const none: ArticleCounterMoves = new Map();
    const deltas = counterDeltas(counters === 'now' ? countersOf(comment) : none);
    const reply = comment.parentId !== null;
    const rows: { claimed: boolean; parent_approved: boolean }[] = await queryPrepared(
      manager,
      this.writeTexts.of([records, reply], () => writeSql(records, reply)),
      [
        claimKey(comment),
        DUPLICATE_WINDOW_SECONDS,
        comment.path,
        comment.parentId,
        comment.id,
        comment.articleId,
        comment.rootId,
        comment.depth,
        comment.authorName,
        comment.authorEmail,
        comment.authorEmailHash,
        comment.bodySource,
        comment.bodyHtml,
        comment.renderVersion,
        comment.status,
        comment.reasons,
        comment.notify,
        comment.anchorBlockId,
        comment.anchorQuote === null ? null : JSON.stringify(comment.anchorQuote),
        comment.anchorState,
        comment.ipHash,
        comment.userAgent,
        comment.editTokenHash,
        // As text: pg formats a Date in local time, field by field, at several microseconds each.
        comment.editableUntil.toISOString(),
        comment.createdAt.toISOString(),
        deltas.articleIds,
        deltas.blockIds,
        deltas.deltas,
        randomShard(),
      ],
      this.prepared,
    );
    const row = rows[0];
    return { claimed: row.claimed, parentApproved: row.parent_approved };
  }
}

/**
 * The text of readContext's statement: its answer is one JSON value (pg describes each column of
 * every answer afresh, at a few microseconds a column).
 */
function contextSql(q: ContextQuery): string {
  const hits = q.hits ? `hits AS (${consumeSql('$4', '$5')} RETURNING key, count),` : '';
  const hitRows = q.hits
    ? "(SELECT json_agg(json_build_object('key', key, 'count', count)) FROM hits)"
    : 'NULL::json';
  const probes = q.probes.map((probe) => `(SELECT (${probe}) FROM article)`);
  return `WITH ${hits}
       article AS (
         SELECT id, comments_open, ${q.withBlocks ? 'blocks' : "'[]'::jsonb AS blocks"}
           FROM articles WHERE slug = $1 AND status = 'published')
       SELECT json_build_object(
         'hits', ${hitRows},
         'article', (SELECT json_build_object('id', id, 'commentsOpen', comments_open,
                       'blocks', blocks) FROM article),
         'parent', (SELECT json_build_object('id', id, 'articleId', article_id, 'status', status,
                      'rootId', root_id, 'depth', depth, 'path', path)
                      FROM comments WHERE id = $2::uuid),
         'trusted', EXISTS (SELECT 1 FROM comments
                      WHERE author_email_hash = $3 AND status = 'approved'),
         'screen', ${q.screen ?? 'NULL'},
         'probed', ARRAY[${probes.join(', ')}]::boolean[]) AS context`;
}

/**
 * The text of write's statement, with a CTE for each of `records`. Its cost as PostgreSQL
 * estimates it does not depend on the values given, so PostgreSQL plans it once per connection
 * and reuses the plan: a reply's ancestors are found from the parent's stored path, not from an
 * array passed in (a plan for an array passed in is costed for ten elements, above one made for
 * the actual one or two, and PostgreSQL would then plan each post anew). A top-level comment's
 * has no ancestors to lock and count.
 */
function writeSql(records: readonly string[], reply: boolean): string {
  const checked = reply
    ? `ancestors AS (
         SELECT c.id, c.status FROM comments parent
           JOIN comments c ON c.id = ANY(parent.path || parent.id)
          WHERE parent.id = $4::uuid
          ORDER BY c.id FOR NO KEY UPDATE OF c
       ), checked AS (
         SELECT EXISTS (
           SELECT 1 FROM ancestors WHERE id = $4::uuid AND status = 'approved') AS parent_approved
       )`
    : 'checked AS (SELECT true AS parent_approved)';
  const replies = reply
    ? `, replies AS (
         UPDATE comments c SET reply_count = c.reply_count + 1
           FROM ancestors a, arrived n WHERE c.id = a.id AND n.status = 'approved'
       )`
    : '';
  return `WITH ${checked}, claim AS (
       INSERT INTO comment_body_claims AS c (key, claimed_at)
       SELECT $1, now() FROM checked WHERE parent_approved
       ON CONFLICT (key) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
        WHERE c.claimed_at <= now() - make_interval(secs => $2)
       RETURNING 1
     ), arrived AS (
       INSERT INTO comments (id, article_id, parent_id, root_id, depth, path, author_name,
         author_email, author_email_hash, body_source, body_html, render_version, status,
         reasons, notify, anchor_block_id, anchor_quote, anchor_state, pinned, up_count,
         down_count, reply_count, ip_hash, user_agent, edit_token_hash, editable_until,
         created_at, approved_at)
       SELECT $5, $6, $4::uuid, $7, $8, $3::uuid[], $9, $10, $11, $12, $13, $14, $15, $16, $17,
         $18, $19, $20, false, 0, 0, 0, $21, $22, $23, $24, $25::timestamptz,
         CASE WHEN $15::text = 'approved' THEN $25::timestamptz END
        WHERE EXISTS (SELECT 1 FROM claim)
       RETURNING id, article_id, status, reasons
     )${replies}, counted AS (
       ${addToCountersSql({
         articleIds: '$26',
         blockIds: '$27',
         deltas: '$28',
         shard: '$29',
         when: 'EXISTS (SELECT 1 FROM arrived)',
       })}
     )${records.map((sql, i) => `, record_${i} AS (${sql})`).join('')}
     SELECT EXISTS (SELECT 1 FROM claim) AS claimed, (SELECT parent_approved FROM checked)`;
}

/** What a new comment moves: the counters of its article (and block) when it is visible. */
export function countersOf(comment: CommentEntity): ArticleCounterMoves {
  const moves: ArticleCounterMoves = new Map();
  if (comment.status === 'approved') {
    addMove(moves, comment, 1);
  }
  return moves;
}

/** The claim of a body: the article, the keyed hash of the address, and the text itself. */
function claimKey(comment: CommentEntity): string {
  return hash(
    'sha256',
    `${comment.articleId}\0${comment.authorEmailHash}\0${comment.bodySource}`,
    'base64url',
  );
}
