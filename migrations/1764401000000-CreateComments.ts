import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateComments1764401000000 implements MigrationInterface {
  name = 'CreateComments1764401000000';

  async up(q: QueryRunner): Promise<void> {
    // created_at keeps millisecond precision so keyset cursors round-trip through JavaScript Dates.
    await q.query(`
      CREATE TABLE comments (
        id uuid PRIMARY KEY,
        article_id uuid NOT NULL,
        parent_id uuid,
        root_id uuid NOT NULL,
        depth integer NOT NULL DEFAULT 0,
        path uuid[] NOT NULL DEFAULT '{}',
        author_name text NOT NULL,
        author_email text NOT NULL,
        author_email_hash text NOT NULL,
        body_source text NOT NULL,
        body_html text NOT NULL,
        render_version integer NOT NULL,
        status text NOT NULL,
        reasons text[] NOT NULL DEFAULT '{}',
        notify text NOT NULL DEFAULT 'none',
        anchor_block_id text,
        anchor_quote jsonb,
        anchor_state text,
        pinned boolean NOT NULL DEFAULT false,
        up_count integer NOT NULL DEFAULT 0,
        down_count integer NOT NULL DEFAULT 0,
        score integer GENERATED ALWAYS AS (up_count - down_count) STORED,
        reply_count integer NOT NULL DEFAULT 0,
        ip_hash text,
        user_agent text,
        edit_token_hash text NOT NULL,
        editable_until timestamptz(3) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        edited_at timestamptz(3),
        approved_at timestamptz(3),
        deleted_at timestamptz(3),
        CONSTRAINT comments_article_fk FOREIGN KEY (article_id)
          REFERENCES articles (id) ON DELETE CASCADE,
        CONSTRAINT comments_parent_fk FOREIGN KEY (parent_id)
          REFERENCES comments (id) ON DELETE RESTRICT,
        CONSTRAINT comments_status_valid
          CHECK (status IN ('pending', 'approved', 'spam', 'trash', 'deleted')),
        CONSTRAINT comments_notify_valid CHECK (notify IN ('none', 'replies', 'followups')),
        CONSTRAINT comments_depth_matches_parent CHECK ((parent_id IS NULL) = (depth = 0)),
        CONSTRAINT comments_root_is_self_at_top CHECK (parent_id IS NOT NULL OR root_id = id),
        CONSTRAINT comments_path_length_is_depth CHECK (cardinality(path) = depth),
        CONSTRAINT comments_anchor_only_on_top_level
          CHECK (anchor_block_id IS NULL OR parent_id IS NULL),
        CONSTRAINT comments_anchor_state_valid CHECK (
          (anchor_block_id IS NULL AND anchor_state IS NULL)
          OR (anchor_block_id IS NOT NULL AND anchor_state IN ('anchored', 'orphaned'))),
        CONSTRAINT comments_counters_non_negative
          CHECK (up_count >= 0 AND down_count >= 0 AND reply_count >= 0)
      )`);
    // One page of top-level comments per article: newest/oldest (scanned either way) and top.
    await q.query(`
      CREATE INDEX comments_thread_time_idx ON comments (article_id, created_at DESC, id DESC)
      WHERE parent_id IS NULL AND status IN ('approved', 'deleted')`);
    await q.query(`
      CREATE INDEX comments_thread_top_idx
      ON comments (article_id, score DESC, created_at DESC, id DESC)
      WHERE parent_id IS NULL AND status IN ('approved', 'deleted')`);
    // Inline feedback filters: the anchored top-level comments of an article or of one block.
    await q.query(`
      CREATE INDEX comments_thread_anchor_idx
      ON comments (article_id, anchor_block_id, created_at DESC, id DESC)
      WHERE parent_id IS NULL AND anchor_block_id IS NOT NULL AND status IN ('approved', 'deleted')`);
    // The replies under a page of top-level comments, oldest first.
    await q.query(`
      CREATE INDEX comments_replies_idx ON comments (root_id, created_at, id)
      WHERE parent_id IS NOT NULL AND status IN ('approved', 'deleted')`);
    // All descendants of a comment below the top level.
    await q.query('CREATE INDEX comments_path_idx ON comments USING gin (path)');
    // Moderation mode "first": has this address an approved comment anywhere?
    await q.query(`
      CREATE INDEX comments_approved_author_idx ON comments (author_email_hash)
      WHERE status = 'approved'`);
    // The moderation queue.
    await q.query(`
      CREATE INDEX comments_pending_idx ON comments (created_at, id) WHERE status = 'pending'`);
    // Re-anchoring on article edits reads every anchored comment of the article.
    await q.query(`
      CREATE INDEX comments_anchored_idx ON comments (article_id)
      WHERE anchor_block_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE comment_votes (
        comment_id uuid NOT NULL,
        voter_key text NOT NULL,
        article_id uuid NOT NULL,
        value smallint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT comment_votes_pk PRIMARY KEY (comment_id, voter_key),
        CONSTRAINT comment_votes_comment_fk FOREIGN KEY (comment_id)
          REFERENCES comments (id) ON DELETE CASCADE,
        CONSTRAINT comment_votes_article_fk FOREIGN KEY (article_id)
          REFERENCES articles (id) ON DELETE CASCADE,
        CONSTRAINT comment_votes_value_valid CHECK (value IN (-1, 1))
      )`);

    await q.query(`
      CREATE TABLE comment_revisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        comment_id uuid NOT NULL,
        article_id uuid NOT NULL,
        body_source text NOT NULL,
        body_html text NOT NULL,
        render_version integer NOT NULL,
        edited_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT comment_revisions_comment_fk FOREIGN KEY (comment_id)
          REFERENCES comments (id) ON DELETE CASCADE,
        CONSTRAINT comment_revisions_article_fk FOREIGN KEY (article_id)
          REFERENCES articles (id) ON DELETE CASCADE
      )`);
    await q.query(
      'CREATE INDEX comment_revisions_comment_idx ON comment_revisions (comment_id, created_at)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE comment_revisions');
    await q.query('DROP TABLE comment_votes');
    await q.query('DROP TABLE comments');
  }
}
