import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Confirmation-mail caps count per mailbox (`a+tag@x` is `a@x`, any case): this index serves
 * that count, by the same expression as mailboxSql('recipient') in src/common/client-keys.ts.
 */
export class IndexOutboxByMailbox1764503000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX email_outbox_mailbox_idx ON email_outbox
         ((regexp_replace(lower(recipient), '^([^+@]+)\\+[^@]*@', '\\1@')), template, created_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX email_outbox_mailbox_idx');
  }
}
