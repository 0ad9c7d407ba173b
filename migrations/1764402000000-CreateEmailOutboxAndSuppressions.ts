import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateEmailOutboxAndSuppressions1764402000000 implements MigrationInterface {
  name = 'CreateEmailOutboxAndSuppressions1764402000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per logical email, written in the transaction of the change that causes it; the
    // unique idempotency key makes a repeated event a no-op instead of a second mail.
    await q.query(`
      CREATE TABLE email_outbox (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        idempotency_key text NOT NULL,
        stream text NOT NULL,
        template text NOT NULL,
        recipient text NOT NULL,
        payload jsonb NOT NULL,
        subscription_id uuid,
        status text NOT NULL DEFAULT 'queued',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_owner text,
        lease_until timestamptz,
        message_id text,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        CONSTRAINT email_outbox_pk PRIMARY KEY (id),
        CONSTRAINT email_outbox_idempotency_key_uq UNIQUE (idempotency_key),
        CONSTRAINT email_outbox_stream_ck
          CHECK (stream IN ('transactional', 'notification', 'newsletter')),
        CONSTRAINT email_outbox_status_ck CHECK (status IN
          ('queued', 'claimed', 'sending', 'sent', 'failed', 'dead', 'ambiguous', 'skipped')),
        CONSTRAINT email_outbox_lease_ck
          CHECK ((status IN ('claimed', 'sending')) = (lease_until IS NOT NULL))
      )`);
    // The dispatcher's claim: due rows only, oldest due first.
    await q.query(`
      CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at)
        WHERE status IN ('queued', 'failed')`);
    // Expired leases (a dispatcher died) are found through this one.
    await q.query(`
      CREATE INDEX email_outbox_lease_idx ON email_outbox (lease_until)
        WHERE status IN ('claimed', 'sending')`);
    // The admin list by status, newest first, and the per-address confirmation cap.
    await q.query(
      'CREATE INDEX email_outbox_status_created_idx ON email_outbox (status, created_at DESC, id DESC)',
    );
    await q.query(
      'CREATE INDEX email_outbox_created_idx ON email_outbox (created_at DESC, id DESC)',
    );
    await q.query(
      'CREATE INDEX email_outbox_recipient_idx ON email_outbox (lower(recipient), template, created_at)',
    );
    await q.query(
      `CREATE INDEX email_outbox_subscription_idx ON email_outbox (subscription_id)
         WHERE subscription_id IS NOT NULL`,
    );

    // Addresses that must never be mailed again: hard bounces, complaints, erasure.
    await q.query(`
      CREATE TABLE suppressions (
        email_key text NOT NULL,
        reason text NOT NULL,
        detail text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT suppressions_pk PRIMARY KEY (email_key),
        CONSTRAINT suppressions_reason_ck
          CHECK (reason IN ('hard_bounce', 'complaint', 'erased', 'manual')),
        CONSTRAINT suppressions_email_key_lower_ck CHECK (email_key = lower(email_key))
      )`);

    // Server-side secrets shared by every instance (e.g. the key unsubscribe links derive from),
    // generated once at first use unless the environment provides one.
    await q.query(`
      CREATE TABLE token_secrets (
        purpose text NOT NULL,
        secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT token_secrets_pk PRIMARY KEY (purpose)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE token_secrets');
    await q.query('DROP TABLE suppressions');
    await q.query('DROP TABLE email_outbox');
  }
}
