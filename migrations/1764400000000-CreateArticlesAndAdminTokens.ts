import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateArticlesAndAdminTokens1764400000000 implements MigrationInterface {
  name = 'CreateArticlesAndAdminTokens1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE articles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug text NOT NULL,
        title text NOT NULL,
        summary text NOT NULL DEFAULT '',
        author text,
        body_source text NOT NULL,
        blocks jsonb NOT NULL DEFAULT '[]',
        status text NOT NULL DEFAULT 'draft',
        published_at timestamptz,
        comments_open boolean NOT NULL DEFAULT true,
        comment_count integer NOT NULL DEFAULT 0,
        inline_counts jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT articles_slug_unique UNIQUE (slug),
        CONSTRAINT articles_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
        CONSTRAINT articles_status_valid CHECK (status IN ('draft', 'published')),
        CONSTRAINT articles_published_has_time CHECK (status <> 'published' OR published_at IS NOT NULL),
        CONSTRAINT articles_comment_count_non_negative CHECK (comment_count >= 0)
      )`);
    // Serves the public list: published articles, newest first, keyset by (published_at, id).
    await q.query(`
      CREATE INDEX articles_published_idx ON articles (published_at DESC, id DESC)
      WHERE status = 'published'`);
    await q.query(`
      CREATE TABLE admin_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        role text NOT NULL,
        token_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT admin_tokens_role_valid CHECK (role IN ('admin', 'moderator')),
        CONSTRAINT admin_tokens_hash_unique UNIQUE (token_hash)
      )`);
    // A name identifies one live token; a revoked name may be reused.
    await q.query(`
      CREATE UNIQUE INDEX admin_tokens_live_name_unique ON admin_tokens (name)
      WHERE revoked_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE admin_tokens');
    await q.query('DROP TABLE articles');
  }
}
