import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSubscriptions1764402001000 implements MigrationInterface {
  name = 'CreateSubscriptions1764402001000';

  async up(q: QueryRunner): Promise<void> {
    // Every opt-in (newsletter, follow-ups, replies) in one table; tokens are stored only as
    // SHA-256 hashes, and the consent record is what the request that led to it carried.
    await q.query(`
      CREATE TABLE subscriptions (
        id uuid NOT NULL,
        kind text NOT NULL,
        email text NOT NULL,
        email_key text NOT NULL,
        article_id uuid,
        name text,
        status text NOT NULL,
        confirm_token_hash text,
        confirm_expires_at timestamptz,
        unsubscribe_token_hash text NOT NULL,
        consent_at timestamptz NOT NULL,
        consent_ip text,
        consent_user_agent text,
        consent_source text NOT NULL,
        consent_text_version text NOT NULL,
        confirmed_at timestamptz,
        confirm_ip text,
        confirm_user_agent text,
        unsubscribed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT subscriptions_pk PRIMARY KEY (id),
        CONSTRAINT subscriptions_article_fk FOREIGN KEY (article_id)
          REFERENCES articles (id) ON DELETE CASCADE,
        CONSTRAINT subscriptions_kind_ck CHECK (kind IN ('newsletter', 'followups', 'replies')),
        CONSTRAINT subscriptions_status_ck
          CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced')),
        CONSTRAINT subscriptions_article_kind_ck
          CHECK ((kind = 'newsletter') = (article_id IS NULL)),
        CONSTRAINT subscriptions_email_key_lower_ck CHECK (email_key = lower(email_key)),
        CONSTRAINT subscriptions_unsubscribe_token_uq UNIQUE (unsubscribe_token_hash)
      )`);
    // One subscription per address and scope (the newsletter, or one article's kind).
    await q.query(`
      CREATE UNIQUE INDEX subscriptions_newsletter_email_uq ON subscriptions (kind, email_key)
        WHERE article_id IS NULL`);
    await q.query(`
      CREATE UNIQUE INDEX subscriptions_article_email_uq
        ON subscriptions (kind, article_id, email_key) WHERE article_id IS NOT NULL`);
    await q.query(`
      CREATE UNIQUE INDEX subscriptions_confirm_token_uq ON subscriptions (confirm_token_hash)
        WHERE confirm_token_hash IS NOT NULL`);
    // The newsletter fan-out walks confirmed subscribers in id order (keyset batches).
    await q.query(`
      CREATE INDEX subscriptions_confirmed_idx ON subscriptions (kind, id)
        WHERE status = 'confirmed'`);
    // The admin list, newest first.
    await q.query(
      'CREATE INDEX subscriptions_created_idx ON subscriptions (created_at DESC, id DESC)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE subscriptions');
  }
}
