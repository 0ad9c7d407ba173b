import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An issue's mails counted by status (GET /api/admin/newsletter/issues/:id): newsletter rows by
 * the issue id inside their idempotency key `newsletter:<issue>:<subscription>`.
 */
export class IndexOutboxByNewsletterIssue1764503001000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX email_outbox_newsletter_issue_idx ON email_outbox
         ((split_part(idempotency_key, ':', 2)), status) WHERE stream = 'newsletter'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX email_outbox_newsletter_issue_idx');
  }
}
