import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Housekeeping } from '../common/housekeeping';
import { CursorField, cursorTimeSql, decodeCursor } from '../common/cursor';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { preparedStatementsOn, queryPrepared, StatementTexts } from '../database/prepared';
import { inTransaction } from '../database/transactions';
import { ReadContext } from '../database/read-context';
import { ReadReplica } from '../database/read-replica';
import { ArticleCounterMoves, applyCounterMoves } from './article-counters';
import { AnchorState, CommentEntity, Quote } from './comment.entity';
import { CommentRevisionEntity } from './comment-revision.entity';
import { PublicCommentRow, ThreadSort } from './dto/comment.dto';

/** Replies nested under each top-level comment of a page (API.md: the cap is 50). */
export const NESTED_REPLY_CAP = 50;

const PUBLIC_COLUMNS = `
  c.id, c.parent_id AS "parentId", c.root_id AS "rootId", c.depth, c.author_name AS "authorName",
  c.body_html AS "bodyHtml", c.created_at AS "createdAt", c.edited_at AS "editedAt", c.status,
  c.anchor_block_id AS "anchorBlockId", c.anchor_quote AS "anchorQuote",
  c.anchor_state AS "anchorState", c.pinned, c.up_count AS "upCount",
  c.down_count AS "downCount", c.reply_count AS "replyCount",
  ${cursorTimeSql('c.created_at')} AS "cursorTime"`;

/** Approved comments, and deleted ones only while they hold up visible replies. */
const VISIBLE = `c.status IN ('approved', 'deleted') AND (c.status = 'approved' OR c.reply_count > 0)`;

/** A timestamptz as JavaScript's toISOString() writes it (milliseconds, UTC). */
const ISO = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** What a comment's public JSON is written from (commentJson), as columns of comment row "c". */
const JSON_SOURCE = {
  j_depth: 'c.depth',
  j_author: 'c.author_name',
  j_body: 'c.body_html',
  j_created: ISO('c.created_at'),
  j_edited: ISO('c.edited_at'),
  j_status: 'c.status',
  j_block: 'c.anchor_block_id',
  j_quote: 'c.anchor_quote',
  j_state: 'c.anchor_state',
  j_pinned: 'c.pinned',
  j_up: 'c.up_count',
  j_down: 'c.down_count',
  j_replies: 'c.reply_count',
};
type JsonSource = {
  id: string;
  parentId: string | null;
  j_depth: number;
  j_author: string;
  j_body: string;
  j_created: string;
  j_edited: string | null;
  j_status: string;
  j_block: string | null;
  j_quote: Quote | null;
  j_state: string | null;
  j_pinned: boolean;
  j_up: number;
  j_down: number;
  j_replies: number;
};
const JSON_COLUMNS = (alias: string) =>
  Object.keys(JSON_SOURCE)
    .map((k) => `${alias}.${k}`)
    .join(', ');
const JSON_SELECT = Object.entries(JSON_SOURCE)
  .map(([k, v]) => `${v} AS ${k}`)
  .join(', ');

/**
 * The public JSON of one comment, written straight from its columns in toCommentResponse's key
 * order (without "replies" and "moreReplies", which the caller appends): a deleted comment is a
 * placeholder without author, body or edit time; held, spam and trash read "pending". Only the
 * free text goes through JSON.stringify; no object is built. PostgreSQL formats the times.
 */
function commentJson(r: JsonSource): string {
  const deleted = r.j_status === 'deleted';
  const status = deleted || r.j_status === 'approved' ? r.j_status : 'pending';
  const anchor =
    r.j_block && r.j_state
      ? `{"blockId":${JSON.stringify(r.j_block)},"quote":${JSON.stringify(r.j_quote)},"state":${JSON.stringify(r.j_state)}}`
      : 'null';
  return (
    `{"id":"${r.id}","parentId":${r.parentId ? `"${r.parentId}"` : 'null'},"depth":${r.j_depth},` +
    `"authorName":${deleted ? 'null' : JSON.stringify(r.j_author)},` +
    `"bodyHtml":${deleted ? 'null' : JSON.stringify(r.j_body)},"createdAt":"${r.j_created}",` +
    `"editedAt":${deleted || !r.j_edited ? 'null' : `"${r.j_edited}"`},"status":"${status}",` +
    `"anchor":${anchor},"pinned":${r.j_pinned},` +
    `"votes":{"up":${r.j_up},"down":${r.j_down},"score":${r.j_up - r.j_down}},` +
    `"replyCount":${r.j_replies}}`
  );
}

/** One comment of a thread page: its public JSON text and what placing it needs. */
export interface ThreadJsonRow {
  id: string;
  parentId: string | null;
  rootId: string;
  /** Top-level rows only: the page cursor's inputs. */
  pinned: boolean | null;
  score: number | null;
  createdAt: string | null;
  json: string;
}

type RawPublicRow = Omit<PublicCommentRow, 'createdAt' | 'editedAt'> & {
  createdAt: Date | string;
  editedAt: Date | string | null;
};

function toPublicRow(raw: RawPublicRow): PublicCommentRow {
  return {
    ...raw,
    createdAt: new Date(raw.createdAt),
    editedAt: raw.editedAt === null ? null : new Date(raw.editedAt),
  };
}

export interface ThreadPageQuery {
  /** A published article by slug (the API), or any article by id (a page that has it loaded). */
  article: { slug: string } | { id: string };
  sort: ThreadSort;
  limit: number;
  /** The cursor of the previous page: [pinned, createdAt, id] or [pinned, score, createdAt, id]. */
  after?: ThreadCursor;
  /** "inline" for any anchored comment, or one block id. */
  anchor?: string;
}

const ORDER: Record<ThreadSort, { order: string; keyset: string; outer: string }> = {
  newest: {
    order: 'c.created_at DESC, c.id DESC',
    keyset: '(c.created_at, c.id) < ($4::timestamptz, $5::uuid)',
    outer: 'u."createdAt" DESC, u.id DESC',
  },
  oldest: {
    order: 'c.created_at ASC, c.id ASC',
    keyset: '(c.created_at, c.id) > ($4::timestamptz, $5::uuid)',
    outer: 'u."createdAt" ASC, u.id ASC',
  },
  top: {
    order: 'c.score DESC, c.created_at DESC, c.id DESC',
    keyset: '(c.score, c.created_at, c.id) < ($4::integer, $5::timestamptz, $6::uuid)',
    outer: 'u."upCount" - u."downCount" DESC, u."createdAt" DESC, u.id DESC',
  },
};

/** A thread cursor is [pinned 1|0, ...the sort key]: pinned comments come first in every sort. */
export type ThreadCursor = readonly (string | number)[];

const THREAD_CURSOR: Record<ThreadSort, readonly CursorField[]> = {
  newest: ['flag', 'timestamp', 'uuid'],
  oldest: ['flag', 'timestamp', 'uuid'],
  top: ['flag', 'int32', 'timestamp', 'uuid'],
};

export function decodeThreadCursor(cursor: string, sort: ThreadSort): ThreadCursor {
  return decodeCursor(cursor, THREAD_CURSOR[sort]);
}

/** Replies are paged oldest first by [createdAt, id]. */
export function decodeReplyCursor(cursor: string): readonly [string, string] {
  return decodeCursor(cursor, ['timestamp', 'uuid']);
}

/** What the text of a thread page's statement depends on (findThreadPageJson). */
interface ThreadPageShape {
  sort: ThreadSort;
  bySlug: boolean;
  /** Which segment the previous page ended in, if there was one: its keyset continues there. */
  after: 'none' | 'pinned' | 'rest';
  /** Any anchored comment, those of one block (the last parameter), or all. */
  anchor: 'none' | 'inline' | 'block';
}

/** The statement of findThreadPageJson, for `count` parameters. */
function threadPageSql(shape: ThreadPageShape, count: number): string {
  const { order, keyset, outer } = ORDER[shape.sort];
  const where = ['c.article_id = (SELECT id FROM a)', 'c.parent_id IS NULL', VISIBLE];
  // Pinned comments (comments_pinned_idx, a handful at most) come before the keyset scan of the
  // rest; the cursor says which of the two segments the previous page ended in.
  let pinnedSegment = 'c.pinned';
  let restSegment = 'NOT c.pinned';
  if (shape.after === 'pinned') {
    pinnedSegment += ` AND ${keyset}`;
  } else if (shape.after === 'rest') {
    pinnedSegment = 'FALSE';
    restSegment += ` AND ${keyset}`;
  }
  if (shape.anchor === 'inline') {
    where.push('c.anchor_block_id IS NOT NULL');
  } else if (shape.anchor === 'block') {
    where.push(`c.anchor_block_id = $${count}`);
  }
  const columns = `c.id, c.parent_id, c.pinned, c.up_count AS "upCount",
      c.down_count AS "downCount", c.created_at AS "createdAt", ${JSON_SELECT}`;
  // The last branch is the article itself: its comment count in "j_up".
  return `WITH a AS (
         SELECT id, article_comment_count(id) AS comment_count FROM articles
         WHERE ${shape.bySlug ? "slug = $1 AND status = 'published'" : 'id = $1'}
       ), page AS (
         SELECT u.*, row_number() OVER (ORDER BY u.segment, ${outer}) AS ord FROM (
           (SELECT 0 AS segment, ${columns} FROM comments c
            WHERE ${where.join(' AND ')} AND ${pinnedSegment}
            ORDER BY ${order} LIMIT $2)
           UNION ALL
           (SELECT 1 AS segment, ${columns} FROM comments c
            WHERE ${where.join(' AND ')} AND ${restSegment}
            ORDER BY ${order} LIMIT $2)
         ) u
         ORDER BY u.segment, ${outer}
         LIMIT $2
       )
       SELECT * FROM (
         SELECT 0 AS part, p.ord, 0::bigint AS rord, p.id, p.parent_id AS "parentId",
           p.id AS "rootId", p.pinned, p."upCount" - p."downCount" AS score, ${cursorTimeSql('p."createdAt"')} AS "createdAt",
           ${JSON_COLUMNS('p')}
         FROM page p
         UNION ALL
         SELECT 1, p.ord, r.rord, r.id, r.parent_id, p.id, NULL, NULL, NULL, ${JSON_COLUMNS('r')}
         FROM page p CROSS JOIN LATERAL (
           SELECT c.id, c.parent_id, row_number() OVER (ORDER BY c.created_at, c.id) AS rord,
             ${JSON_SELECT}
           FROM comments c
           WHERE c.root_id = p.id AND c.parent_id IS NOT NULL AND ${VISIBLE}
           ORDER BY c.created_at, c.id
           LIMIT $3
         ) r
         UNION ALL
         SELECT 2, 0, 0, a.id, NULL, NULL, NULL, NULL, NULL, ${'NULL, '.repeat(10)}a.comment_count,
           NULL, NULL FROM a
       ) t
       ORDER BY part, ord, rord`;
}

@Injectable()
export class CommentsRepository {
  private readonly prepared: boolean;
  private readonly pageTexts = new StatementTexts();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replica: ReadReplica,
    housekeeping: Housekeeping,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prepared = preparedStatementsOn(config);
    housekeeping.register({
      name: 'vote moves',
      sql: "DELETE FROM comment_vote_moves WHERE at <= now() - interval '1 hour'",
    });
  }

  /** See src/database/transactions.ts for the lock order and the retries. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return inTransaction(this.dataSource, work);
  }

  /**
   * The hot read, one statement: the article's comment count, one page of its top-level comments
   * and up to NESTED_REPLY_CAP + 1 replies under each of them, oldest first, in page order (no
   * sorting here), each comment written once as its public JSON text (commentJson) with no entity
   * hydrated and no response object built. (Writing that JSON in SQL was measured too: it moved
   * about 0.6 ms of CPU per page from the app to PostgreSQL, more than it saved.) The page
   * is served by comments_thread_time_idx (newest/oldest) or comments_thread_top_idx (top), the
   * anchor filter by comments_thread_anchor_idx, pinned comments by comments_pinned_idx, and the
   * replies by comments_replies_idx, one index range per top-level comment; so its cost depends on
   * the page size, not on the thread's size. `total` is null when there is no such (published)
   * article. Rows come in page order, each root's replies after it oldest first. The statement
   * runs by name (queryPrepared), one per shape of the text (ThreadPageShape): PostgreSQL parses
   * it once per connection, and reuses its plan for later pages (the cursor's keyset); a first
   * page is planned for its values each time, since its reusable plan is costed for a tenth of
   * the thread rather than the page's limit. Measured in the bench (cache off): page 301
   * 325 → 676 req/s at 2.12 → 0.53 ms of database CPU, the first page 335 → 491 at 2.00 → 1.46.
   */
  async findThreadPageJson(
    reads: ReadContext,
    query: ThreadPageQuery,
  ): Promise<{
    /** The article (its id and approved comments, replies included); null when none matched. */
    article: { id: string; total: number } | null;
    top: ThreadJsonRow[];
    replies: ThreadJsonRow[];
  }> {
    const shape: ThreadPageShape = {
      sort: query.sort,
      bySlug: 'slug' in query.article,
      after: !query.after ? 'none' : query.after[0] === 1 ? 'pinned' : 'rest',
      anchor: query.anchor === 'inline' ? 'inline' : query.anchor ? 'block' : 'none',
    };
    const params: unknown[] = [
      'slug' in query.article ? query.article.slug : query.article.id,
      query.limit + 1,
      NESTED_REPLY_CAP + 1,
      ...(query.after?.slice(1) ?? []),
    ];
    if (shape.anchor === 'block') {
      params.push(query.anchor);
    }
    const text = this.pageTexts.of([shape.sort, shape.bySlug, shape.after, shape.anchor], () =>
      threadPageSql(shape, params.length),
    );
    const rows: (Omit<ThreadJsonRow, 'json'> & JsonSource & { part: number })[] =
      await this.replica.publicRead(reads, (db) =>
        queryPrepared(db.manager, text, params, this.prepared),
      );
    const article = rows.find((r) => Number(r.part) === 2);
    const placed = (part: number): ThreadJsonRow[] =>
      rows
        .filter((r) => Number(r.part) === part)
        .map((r) => ({
          id: r.id,
          parentId: r.parentId,
          rootId: r.rootId,
          pinned: r.pinned,
          score: r.score,
          createdAt: r.createdAt,
          json: commentJson(r),
        }));
    return {
      article: article ? { id: article.id, total: Number(article.j_up) } : null,
      top: placed(0),
      replies: placed(1),
    };
  }

  /** Descendants of a comment, oldest first, keyset by (created_at, id). */
  async findDescendantsPage(
    reads: ReadContext,
    comment: { id: string; parentId: string | null },
    limit: number,
    after?: readonly [string, string],
  ): Promise<PublicCommentRow[]> {
    // A root's descendants share its root_id (comments_replies_idx); deeper ones are found
    // through the ancestor array (comments_path_idx).
    const params: unknown[] = [comment.id, limit + 1];
    const where = [
      comment.parentId === null
        ? 'c.root_id = $1 AND c.parent_id IS NOT NULL'
        : 'c.path @> ARRAY[$1::uuid]',
      VISIBLE,
    ];
    if (after) {
      params.push(...after);
      where.push('(c.created_at, c.id) > ($3::timestamptz, $4::uuid)');
    }
    const rows: RawPublicRow[] = await this.replica.publicRead(reads, (db) =>
      db.query(
        `SELECT ${PUBLIC_COLUMNS} FROM comments c WHERE ${where.join(' AND ')}
         ORDER BY c.created_at, c.id LIMIT $2`,
        params,
      ),
    );
    return rows.map(toPublicRow);
  }

  findById(id: string, manager?: EntityManager): Promise<CommentEntity | null> {
    return (manager ?? this.dataSource.manager).findOneBy(CommentEntity, { id });
  }

  /**
   * Reads a comment and locks it until the transaction ends (edits, reports, status moves).
   * FOR NO KEY UPDATE unless the caller may delete the row: votes and replies that reference the
   * comment (a KEY SHARE lock through their foreign key) are then not held up by it.
   */
  findByIdForUpdate(
    manager: EntityManager,
    id: string,
    intent: 'change' | 'delete' = 'change',
  ): Promise<CommentEntity | null> {
    return manager.findOne(CommentEntity, {
      where: { id },
      lock: { mode: intent === 'delete' ? 'pessimistic_write' : 'for_no_key_update' },
    });
  }

  /** Moderation mode "first": uses comments_approved_author_idx. */
  async hasApprovedCommentFrom(emailHash: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      "SELECT 1 FROM comments WHERE author_email_hash = $1 AND status = 'approved' LIMIT 1",
      [emailHash],
    );
    return rows.length > 0;
  }

  /** Any reply that is visible or waiting for review counts: the author may no longer edit. */
  async hasLiveReplies(manager: EntityManager, id: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      "SELECT 1 FROM comments WHERE parent_id = $1 AND status IN ('pending', 'approved') LIMIT 1",
      [id],
    );
    return rows.length > 0;
  }

  async saveBody(
    manager: EntityManager,
    comment: CommentEntity,
    body: { source: string; html: string; renderVersion: number },
    editedBy: string,
  ): Promise<string> {
    const revisionId = randomUUID();
    await manager.insert(CommentRevisionEntity, {
      id: revisionId,
      commentId: comment.id,
      articleId: comment.articleId,
      bodySource: comment.bodySource,
      bodyHtml: comment.bodyHtml,
      renderVersion: comment.renderVersion,
      editedBy,
    });
    await manager.update(
      CommentEntity,
      { id: comment.id },
      {
        bodySource: body.source,
        bodyHtml: body.html,
        renderVersion: body.renderVersion,
        editedAt: () => 'now()',
      },
    );
    comment.bodySource = body.source;
    comment.bodyHtml = body.html;
    comment.renderVersion = body.renderVersion;
    return revisionId;
  }

  /** Replaces the reasons a comment is held for (its status unchanged). */
  async setReasons(manager: EntityManager, id: string, reasons: string[]): Promise<void> {
    await manager.query('UPDATE comments SET reasons = $2 WHERE id = $1', [id, reasons]);
  }

  findRevisions(commentId: string): Promise<CommentRevisionEntity[]> {
    return this.dataSource.manager.find(CommentRevisionEntity, {
      where: { commentId },
      order: { createdAt: 'ASC' },
    });
  }

  async setStatusColumns(
    manager: EntityManager,
    id: string,
    columns: { status: string; reasons: string[]; approvedAt?: 'now'; deletedAt?: 'now' },
  ): Promise<void> {
    await manager.query(
      `UPDATE comments SET status = $2, reasons = $3,
         approved_at = CASE WHEN $4 THEN now() ELSE approved_at END,
         deleted_at = CASE WHEN $5 THEN now() ELSE deleted_at END
       WHERE id = $1`,
      [
        id,
        columns.status,
        columns.reasons,
        columns.approvedAt === 'now',
        columns.deletedAt === 'now',
      ],
    );
  }

  /**
   * One status for many comments in one statement; `reason` is appended to each one's reasons.
   * The rows should be locked already (lockManyInIdOrder), so this takes no new lock.
   */
  async setStatusColumnsMany(
    manager: EntityManager,
    ids: string[],
    columns: { status: string; reason?: string },
  ): Promise<void> {
    await manager.query(
      `UPDATE comments SET status = $2,
         reasons = CASE WHEN $3::text IS NULL THEN reasons ELSE array_append(reasons, $3::text) END,
         approved_at = CASE WHEN $2 = 'approved' THEN now() ELSE approved_at END,
         deleted_at = CASE WHEN $2 = 'deleted' THEN now() ELSE deleted_at END
       WHERE id = ANY($1::uuid[])`,
      [ids, columns.status, columns.reason ?? null],
    );
  }

  /**
   * Moves the reply count of every ancestor of these comments by the visibility change of its
   * descendants (`delta` per comment), in one statement. The ancestors are locked first in id
   * order (step 3 of the lock order in src/database/transactions.ts), so two writers in one
   * thread queue instead of deadlocking.
   */
  async shiftReplyCounts(
    manager: EntityManager,
    changes: { path: string[]; delta: number }[],
  ): Promise<void> {
    const byAncestor = new Map<string, number>();
    for (const { path, delta } of changes) {
      for (const id of path) {
        byAncestor.set(id, (byAncestor.get(id) ?? 0) + delta);
      }
    }
    const moves = [...byAncestor].filter(([, delta]) => delta !== 0);
    if (moves.length === 0) {
      return;
    }
    const ids = moves.map(([id]) => id);
    await manager.query(
      'SELECT id FROM comments WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE',
      [ids],
    );
    await manager.query(
      `UPDATE comments c SET reply_count = c.reply_count + m.delta
         FROM unnest($1::uuid[], $2::integer[]) AS m(id, delta)
        WHERE c.id = m.id`,
      [ids, moves.map(([, delta]) => delta)],
    );
  }

  /**
   * Adds the visible-comment counters a transaction moved to the articles' counter shards, in one
   * statement (step 5 of the lock order): never the article row itself.
   */
  applyArticleCounters(manager: EntityManager, moves: ArticleCounterMoves): Promise<void> {
    return applyCounterMoves(manager, moves);
  }

  async lockVoter(manager: EntityManager, commentId: string, voterKey: string): Promise<void> {
    await manager.query("SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))", [
      commentId,
      voterKey,
    ]);
  }

  /** The voter's current vote on the comment (0 for none); call after lockVoter. */
  async findVote(manager: EntityManager, commentId: string, voterKey: string): Promise<number> {
    const rows: { value: number }[] = await manager.query(
      'SELECT value FROM comment_votes WHERE comment_id = $1 AND voter_key = $2',
      [commentId, voterKey],
    );
    return rows[0] ? Number(rows[0].value) : 0;
  }

  /**
   * How far one network moved the comment's score in the last hour, and when enough of that
   * expires for one more move (comment_vote_moves_lookup_idx). Expired rows of the pair go first.
   */
  async voteMovesInLastHour(
    manager: EntityManager,
    commentId: string,
    networkHash: string,
  ): Promise<{ moves: number; retryAfterSeconds: number }> {
    await manager.query(
      `DELETE FROM comment_vote_moves
       WHERE comment_id = $1 AND network_hash = $2 AND at <= now() - interval '1 hour'`,
      [commentId, networkHash],
    );
    const rows: { moves: number; oldest: Date | null }[] = await manager.query(
      `SELECT COALESCE(sum(moves), 0)::integer AS moves, min(at) AS oldest FROM comment_vote_moves
       WHERE comment_id = $1 AND network_hash = $2`,
      [commentId, networkHash],
    );
    const oldest = rows[0].oldest ? new Date(rows[0].oldest).getTime() : Date.now();
    return {
      moves: Number(rows[0].moves),
      retryAfterSeconds: Math.max(1, Math.ceil((oldest + 3_600_000 - Date.now()) / 1000)),
    };
  }

  /** Counts an accepted vote's moves against its network (expired rows: the housekeeping). */
  async recordVoteMoves(
    manager: EntityManager,
    commentId: string,
    networkHash: string,
    moves: number,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO comment_vote_moves (comment_id, network_hash, article_id, moves)
       SELECT id, $2, article_id, $3 FROM comments WHERE id = $1`,
      [commentId, networkHash, moves],
    );
  }

  /**
   * Records a vote (0 removes it) and moves the comment's counters by the difference from the
   * voter's previous vote, in one statement; call it after lockVoter in the same transaction.
   * The comment row is locked only by the final UPDATE, so votes by different voters queue on it
   * for one statement rather than for a whole transaction. Null when the comment is not approved.
   */
  async applyVote(
    manager: EntityManager,
    vote: { commentId: string; voterKey: string; value: 1 | 0 | -1 },
  ): Promise<{ up: number; down: number; articleId: string } | null> {
    const result: unknown = await manager.query(
      `WITH target AS (
         SELECT c.id, c.article_id FROM comments c
         WHERE c.id = $1 AND c.status = 'approved'
           AND EXISTS (SELECT 1 FROM articles a WHERE a.id = c.article_id AND a.status = 'published')
       ), previous AS (
         SELECT COALESCE((SELECT value FROM comment_votes
                          WHERE comment_id = $1 AND voter_key = $2), 0)::integer AS value
       ), removed AS (
         DELETE FROM comment_votes
         WHERE $3::integer = 0 AND comment_id = (SELECT id FROM target) AND voter_key = $2
         RETURNING 1
       ), upserted AS (
         INSERT INTO comment_votes (comment_id, voter_key, article_id, value)
         SELECT id, $2, article_id, $3::smallint FROM target WHERE $3::integer <> 0
         ON CONFLICT ON CONSTRAINT comment_votes_pk
         DO UPDATE SET value = EXCLUDED.value, updated_at = now()
         RETURNING 1
       )
       UPDATE comments c SET
         up_count = c.up_count + ($3::integer = 1)::integer - (p.value = 1)::integer,
         down_count = c.down_count + ($3::integer = -1)::integer - (p.value = -1)::integer
       FROM target t, previous p
       WHERE c.id = t.id
       RETURNING c.up_count AS up, c.down_count AS down, c.article_id AS "articleId"`,
      [vote.commentId, vote.voterKey, vote.value],
    );
    // node-postgres answers UPDATE … RETURNING through TypeORM as [rows, count].
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as {
      up: number;
      down: number;
      articleId: string;
    }[];
    const row = rows[0];
    return row ? { up: Number(row.up), down: Number(row.down), articleId: row.articleId } : null;
  }

  /** Every anchored comment of an article, for re-anchoring after an edit (comments_anchored_idx). */
  findAnchored(
    manager: EntityManager,
    articleId: string,
  ): Promise<{ id: string; blockId: string; quote: Quote | null; state: AnchorState }[]> {
    return manager.query(
      `SELECT id, anchor_block_id AS "blockId", anchor_quote AS "quote", anchor_state AS "state"
       FROM comments WHERE article_id = $1 AND anchor_block_id IS NOT NULL`,
      [articleId],
    );
  }

  async moveAnchor(manager: EntityManager, id: string, blockId: string, state: AnchorState) {
    await manager.query(
      'UPDATE comments SET anchor_block_id = $2, anchor_state = $3 WHERE id = $1',
      [id, blockId, state],
    );
  }

  /**
   * Rebuilds an article's inline counts from the comments themselves: the difference between what
   * the comments say and what the shards hold is added to shard 0, read and written in one
   * statement, so a comment committed alongside is counted exactly once.
   */
  async recountInlineCounts(manager: EntityManager, articleId: string): Promise<void> {
    await manager.query(
      `INSERT INTO article_counts (article_id, block_id, shard, n)
       SELECT $1, b, 0, diff FROM (
         SELECT b, COALESCE(c.n, 0) - COALESCE(k.n, 0) AS diff
           FROM (SELECT anchor_block_id AS b, count(*)::integer AS n FROM comments
                  WHERE article_id = $1 AND status = 'approved' AND anchor_state = 'anchored'
                  GROUP BY anchor_block_id) c
           FULL JOIN (SELECT block_id AS b, sum(n)::integer AS n FROM article_counts
                       WHERE article_id = $1 AND block_id <> '' GROUP BY block_id) k USING (b)
       ) d
       WHERE diff <> 0
       ORDER BY b
       ON CONFLICT (article_id, block_id, shard) DO UPDATE SET n = article_counts.n + EXCLUDED.n`,
      [articleId],
    );
  }

  async isArticlePublished(articleId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      "SELECT 1 FROM articles WHERE id = $1 AND status = 'published'",
      [articleId],
    );
    return rows.length > 0;
  }

  /** Approved comment counts of published articles by slug. */
  async countBySlugs(reads: ReadContext, slugs: string[]): Promise<Map<string, number>> {
    const rows: { slug: string; n: number }[] = await this.replica.publicRead(reads, (db) =>
      db.query(
        `SELECT slug, article_comment_count(id) AS n FROM articles
         WHERE slug = ANY($1::text[]) AND status = 'published'`,
        [slugs],
      ),
    );
    return new Map(rows.map((r) => [r.slug, Number(r.n)]));
  }
}
