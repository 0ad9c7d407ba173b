import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCommentReportsAndQueueIndexes1764403001000 implements MigrationInterface {
  name = 'CreateCommentReportsAndQueueIndexes1764403001000';

  async up(q: QueryRunner): Promise<void> {
    // One report per voter per comment; a purge takes the reports with the comment.
    await q.query(`
      CREATE TABLE comment_reports (
        comment_id uuid NOT NULL,
        voter_key text NOT NULL,
        article_id uuid NOT NULL,
        reason text NOT NULL,
        ip_hash text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT comment_reports_one_per_voter PRIMARY KEY (comment_id, voter_key),
        CONSTRAINT comment_reports_comment_fk FOREIGN KEY (comment_id)
          REFERENCES comments (id) ON DELETE CASCADE,
        CONSTRAINT comment_reports_article_fk FOREIGN KEY (article_id)
          REFERENCES articles (id) ON DELETE CASCADE,
        CONSTRAINT comment_reports_reason_length CHECK (char_length(reason) <= 500)
      )`);
    // Deleting an article cascades here.
    await q.query('CREATE INDEX comment_reports_article_idx ON comment_reports (article_id)');
    // The moderation queue for the other statuses, site-wide and per article (pending has
    // comments_pending_idx already).
    await q.query(`
      CREATE INDEX comments_status_time_idx ON comments (status, created_at DESC, id DESC)
      WHERE status <> 'pending'`);
    await q.query(`
      CREATE INDEX comments_article_status_time_idx
      ON comments (article_id, status, created_at DESC, id DESC)`);
    // The duplicate check: an address's comments of the last minute.
    await q.query(
      'CREATE INDEX comments_author_time_idx ON comments (author_email_hash, created_at DESC)',
    );
    // Pinned comments are few; the thread reads them first, apart from the keyset scan.
    await q.query(`
      CREATE INDEX comments_pinned_idx ON comments (article_id)
      WHERE pinned AND parent_id IS NULL AND status IN ('approved', 'deleted')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX comments_pinned_idx');
    await q.query('DROP INDEX comments_author_time_idx');
    await q.query('DROP INDEX comments_article_status_time_idx');
    await q.query('DROP INDEX comments_status_time_idx');
    await q.query('DROP TABLE comment_reports');
  }
}
