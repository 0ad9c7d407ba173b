import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An article's visible-comment counters leave the article row. Every comment that appears or goes
 * moved `articles.comment_count`, so a busy article's writers queued on that one row until COMMIT.
 * The counts now live in `article_counts` as deltas spread over COUNTER_SHARDS rows per article
 * and block (block '' is the article's total): a writer adds to one shard picked at random, and
 * readers sum the shards through `article_comment_count()` and `article_inline_counts()`.
 */
export class ShardArticleCounters1764510000000 implements MigrationInterface {
  name = 'ShardArticleCounters1764510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE article_counts (
        article_id uuid NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        block_id text NOT NULL,
        shard smallint NOT NULL,
        n integer NOT NULL,
        CONSTRAINT article_counts_pkey PRIMARY KEY (article_id, block_id, shard)
      )`);
    await q.query(`
      INSERT INTO article_counts (article_id, block_id, shard, n)
      SELECT id, '', 0, comment_count FROM articles WHERE comment_count <> 0
      UNION ALL
      SELECT a.id, e.key, 0, e.value::integer
        FROM articles a CROSS JOIN LATERAL jsonb_each_text(a.inline_counts) e
       WHERE e.value::integer <> 0`);
    await q.query(`
      ALTER TABLE articles DROP CONSTRAINT articles_comment_count_non_negative,
        DROP COLUMN comment_count, DROP COLUMN inline_counts`);
    await q.query(`
      CREATE FUNCTION article_comment_count(article uuid) RETURNS integer
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT COALESCE(sum(n), 0)::integer FROM article_counts
         WHERE article_id = article AND block_id = ''
      $$`);
    await q.query(`
      CREATE FUNCTION article_inline_counts(article uuid) RETURNS jsonb
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT COALESCE(jsonb_object_agg(block_id, total), '{}'::jsonb) FROM (
          SELECT block_id, sum(n)::integer AS total FROM article_counts
           WHERE article_id = article AND block_id <> ''
           GROUP BY block_id HAVING sum(n) <> 0) counted
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE articles ADD COLUMN comment_count integer NOT NULL DEFAULT 0,
        ADD COLUMN inline_counts jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`
      UPDATE articles SET comment_count = GREATEST(article_comment_count(id), 0),
        inline_counts = article_inline_counts(id)`);
    await q.query(`
      ALTER TABLE articles ADD CONSTRAINT articles_comment_count_non_negative
        CHECK (comment_count >= 0)`);
    await q.query('DROP FUNCTION article_inline_counts(uuid)');
    await q.query('DROP FUNCTION article_comment_count(uuid)');
    await q.query('DROP TABLE article_counts');
  }
}
