import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateNewsletterIssues1764402002000 implements MigrationInterface {
  name = 'CreateNewsletterIssues1764402002000';

  async up(q: QueryRunner): Promise<void> {
    // What was sent and to how many; each recipient's mail is its own outbox row.
    await q.query(`
      CREATE TABLE newsletter_issues (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        subject text NOT NULL,
        body_markdown text,
        article_id uuid,
        recipients integer NOT NULL DEFAULT 0,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        queued_at timestamptz,
        CONSTRAINT newsletter_issues_pk PRIMARY KEY (id),
        CONSTRAINT newsletter_issues_article_fk FOREIGN KEY (article_id)
          REFERENCES articles (id) ON DELETE SET NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE newsletter_issues');
  }
}
