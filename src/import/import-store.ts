import { randomBytes, randomUUID } from 'node:crypto';
import { inTransaction } from '../database/transactions';
import { DataSource, EntityManager } from 'typeorm';
import { ArticleBlock, ArticleStatus } from '../articles/article.entity';
import { renderBlocks, slugify, summarize } from '../articles/article-blocks';
import { hashToken } from '../common/tokens';
import { addMove, applyCounterMoves, ArticleCounterMoves } from '../comments/article-counters';
import { AnchorState, CommentStatus, Quote } from '../comments/comment.entity';

export type ItemKind = 'article' | 'comment';

export interface NewArticle {
  id?: string;
  slug: string;
  title: string;
  author: string | null;
  bodySource: string;
  status: ArticleStatus;
  publishedAt: Date | null;
  /** Blocks of the same article elsewhere (a round trip): their ids are kept where text matches. */
  blocks?: ArticleBlock[];
}

/** A comment ready to be written: converted, sanitized, placed in its thread. */
export interface CommentRow {
  id: string;
  externalId: string;
  articleId: string;
  parentId: string | null;
  rootId: string;
  depth: number;
  path: string[];
  authorName: string;
  authorEmail: string;
  authorEmailHash: string;
  bodySource: string;
  bodyHtml: string;
  renderVersion: number;
  originalHtml: string;
  status: Exclude<CommentStatus, 'deleted'>;
  ipHash: string | null;
  userAgent: string | null;
  createdAt: Date;
  anchor: { blockId: string; quote: Quote | null; state: AnchorState } | null;
}

export interface ThreadPlace {
  id: string;
  articleId: string;
  rootId: string;
  depth: number;
  path: string[];
}

interface InsertedRow {
  id: string;
  article_id: string;
  path: string[];
  status: string;
  anchor_block_id: string | null;
  anchor_state: string | null;
}

const SLUG_FORMAT = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * The import's SQL. Imported comments are written directly, in set-based statements, and never
 * through CommentVisibility: they emit no event, so no notification mail and no webhook is
 * caused by history arriving. The counters the visibility service keeps are moved here instead.
 */
export class ImportStore {
  constructor(private readonly dataSource: DataSource) {}

  async mapped(
    source: string,
    kind: ItemKind,
    externalIds: string[],
  ): Promise<Map<string, string>> {
    if (externalIds.length === 0) {
      return new Map();
    }
    // import_items_pk
    const rows: { external_id: string; local_id: string }[] = await this.dataSource.query(
      `SELECT external_id, local_id FROM import_items
        WHERE source = $1 AND kind = $2 AND external_id = ANY($3::text[])`,
      [source, kind, externalIds],
    );
    return new Map(rows.map((r) => [r.external_id, r.local_id]));
  }

  async places(ids: string[]): Promise<Map<string, ThreadPlace>> {
    if (ids.length === 0) {
      return new Map();
    }
    const rows: {
      id: string;
      article_id: string;
      root_id: string;
      depth: number;
      path: string[];
    }[] = await this.dataSource.query(
      'SELECT id, article_id, root_id, depth, path FROM comments WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        { id: r.id, articleId: r.article_id, rootId: r.root_id, depth: r.depth, path: r.path },
      ]),
    );
  }

  async existingCommentIds(ids: string[]): Promise<Set<string>> {
    return new Set((await this.places(ids)).keys());
  }

  async articleIdBySlug(slug: string): Promise<string | null> {
    const rows: { id: string }[] = await this.dataSource.query(
      'SELECT id FROM articles WHERE slug = $1',
      [slug],
    );
    return rows[0]?.id ?? null;
  }

  async articleIdById(id: string): Promise<string | null> {
    const rows: { id: string }[] = await this.dataSource.query(
      'SELECT id FROM articles WHERE id = $1',
      [id],
    );
    return rows[0]?.id ?? null;
  }

  /** Records that `externalId` is `localId`, in its own statement (an article matched by slug). */
  async remember(
    source: string,
    kind: ItemKind,
    externalId: string,
    localId: string,
    runId: string | null,
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO import_items (source, kind, external_id, local_id, run_id)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT ON CONSTRAINT import_items_pk DO NOTHING`,
      [source, kind, externalId, localId, runId],
    );
  }

  /** A free slug for `wanted`: the slug itself, or it with -2, -3 … */
  private async freeSlug(manager: EntityManager, wanted: string): Promise<string> {
    const base = SLUG_FORMAT.test(wanted) ? wanted : slugify(wanted) || 'imported';
    const rows: { slug: string }[] = await manager.query(
      `SELECT slug FROM articles WHERE slug = $1 OR slug LIKE $2`,
      [base, `${base}-%`],
    );
    const taken = new Set(rows.map((r) => r.slug));
    let slug = base;
    for (let n = 2; taken.has(slug); n++) {
      slug = `${base}-${n}`;
    }
    return slug;
  }

  /** Creates the article and its ledger row together; returns its id. */
  async createArticle(
    source: string,
    externalId: string,
    article: NewArticle,
    runId: string | null,
  ): Promise<string> {
    return inTransaction(this.dataSource, async (manager) => {
      const slug = await this.freeSlug(manager, article.slug);
      const blocks = renderBlocks(article.bodySource, article.blocks ?? []);
      const rows: { id: string }[] = await manager.query(
        `INSERT INTO articles (id, slug, title, summary, author, body_source, blocks, status,
                               published_at, created_at)
         VALUES (COALESCE($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, $9,
                 COALESCE($9, now()))
         RETURNING id`,
        [
          article.id ?? null,
          slug,
          article.title,
          summarize(blocks),
          article.author,
          article.bodySource,
          JSON.stringify(blocks),
          article.status,
          article.status === 'published'
            ? (article.publishedAt ?? new Date())
            : article.publishedAt,
        ],
      );
      const id = rows[0].id;
      await manager.query(
        `INSERT INTO import_items (source, kind, external_id, local_id, run_id)
         VALUES ($1, 'article', $2, $3, $4)`,
        [source, externalId, id, runId],
      );
      return id;
    });
  }

  /**
   * Writes a batch of comments, their ledger rows and the counters they move, in one
   * transaction: a crash leaves either all of the batch or none of it, and the rerun skips what
   * the ledger holds. A row whose id exists already (a round trip into the same database) is
   * left as it is. Returns how many were written.
   */
  async insertComments(source: string, rows: CommentRow[], runId: string | null): Promise<number> {
    if (rows.length === 0) {
      return 0;
    }
    const editTokenHash = hashToken(randomBytes(32).toString('base64url'));
    return inTransaction(this.dataSource, async (manager) => {
      const inserted: InsertedRow[] = await manager.query(
        `INSERT INTO comments (id, article_id, parent_id, root_id, depth, path, author_name,
             author_email, author_email_hash, body_source, body_html, render_version,
             original_html, status, reasons, notify, ip_hash, user_agent, edit_token_hash,
             editable_until, created_at, approved_at, anchor_block_id, anchor_quote, anchor_state)
           SELECT r.id, r.article_id, r.parent_id, r.root_id, r.depth, r.path, r.author_name,
                  r.author_email, r.author_email_hash, r.body_source, r.body_html,
                  r.render_version, r.original_html, r.status, ARRAY['imported'], 'none',
                  r.ip_hash, r.user_agent, $2, r.created_at, r.created_at,
                  CASE WHEN r.status = 'approved' THEN r.created_at END,
                  r.anchor_block_id, r.anchor_quote, r.anchor_state
             FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, article_id uuid, parent_id uuid,
                  root_id uuid, depth integer, path uuid[], author_name text, author_email text,
                  author_email_hash text, body_source text, body_html text,
                  render_version integer, original_html text, status text, ip_hash text,
                  user_agent text, created_at timestamptz, anchor_block_id text,
                  anchor_quote jsonb, anchor_state text)
           ON CONFLICT (id) DO NOTHING
           RETURNING id, article_id, path, status, anchor_block_id, anchor_state`,
        [
          JSON.stringify(
            rows.map((r) => ({
              id: r.id,
              article_id: r.articleId,
              parent_id: r.parentId,
              root_id: r.rootId,
              depth: r.depth,
              path: r.path,
              author_name: r.authorName,
              author_email: r.authorEmail,
              author_email_hash: r.authorEmailHash,
              body_source: r.bodySource,
              body_html: r.bodyHtml,
              render_version: r.renderVersion,
              original_html: r.originalHtml,
              status: r.status,
              ip_hash: r.ipHash,
              user_agent: r.userAgent,
              created_at: r.createdAt.toISOString(),
              anchor_block_id: r.anchor?.blockId ?? null,
              anchor_quote: r.anchor?.quote ?? null,
              anchor_state: r.anchor ? r.anchor.state : null,
            })),
          ),
          editTokenHash,
        ],
      );
      await manager.query(
        `INSERT INTO import_items (source, kind, external_id, local_id, run_id)
         SELECT $1, 'comment', e, l, $4 FROM unnest($2::text[], $3::uuid[]) AS x(e, l)
         ON CONFLICT ON CONSTRAINT import_items_pk DO NOTHING`,
        [source, rows.map((r) => r.externalId), rows.map((r) => r.id), runId],
      );
      await this.moveCounters(
        manager,
        inserted.filter((r) => r.status === 'approved'),
      );
      return inserted.length;
    });
  }

  /** What CommentVisibility would have done for each approved arrival, set-based. */
  private async moveCounters(manager: EntityManager, approved: InsertedRow[]): Promise<void> {
    if (approved.length === 0) {
      return;
    }
    const ancestors = approved.flatMap((r) => r.path);
    if (ancestors.length > 0) {
      await manager.query(
        `UPDATE comments c SET reply_count = c.reply_count + x.n
           FROM (SELECT id, count(*)::int AS n FROM unnest($1::uuid[]) AS t(id) GROUP BY id) x
          WHERE c.id = x.id`,
        [ancestors],
      );
    }
    // Last, as in every transaction (src/database/transactions.ts): the article counters.
    const moves: ArticleCounterMoves = new Map();
    for (const row of approved) {
      addMove(
        moves,
        {
          articleId: row.article_id,
          anchorState: row.anchor_state,
          anchorBlockId: row.anchor_block_id,
        },
        1,
      );
    }
    await applyCounterMoves(manager, moves);
  }

  static newId(): string {
    return randomUUID();
  }
}
