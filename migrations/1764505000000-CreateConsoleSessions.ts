import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateConsoleSessions1764505000000 implements MigrationInterface {
  name = 'CreateConsoleSessions1764505000000';

  async up(q: QueryRunner): Promise<void> {
    // Moderation console sign-ins. Only the SHA-256 of the cookie is stored. `principal_hash` is
    // the hash of the admin token signed in with: a session of a stored token lives only while
    // that token is live (checked on every request), and dies with its row.
    await q.query(`
      CREATE TABLE console_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_hash text NOT NULL,
        admin_token_id uuid REFERENCES admin_tokens (id) ON DELETE CASCADE,
        principal_hash text NOT NULL,
        token_name text NOT NULL,
        role text NOT NULL,
        ip_hash text,
        user_agent text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        ended_at timestamptz,
        CONSTRAINT console_sessions_hash_unique UNIQUE (session_hash),
        CONSTRAINT console_sessions_role_valid CHECK (role IN ('admin', 'moderator')),
        CONSTRAINT console_sessions_expiry_after_start CHECK (expires_at > created_at)
      )`);
    await q.query(
      'CREATE INDEX console_sessions_token_idx ON console_sessions (token_name, created_at DESC)',
    );
    // Every change that moves a queue count tells every instance's console (LISTEN
    // moderation_queue). Statement-level, and NOTIFY folds duplicates within a transaction, so a
    // bulk decision sends one notification; it is delivered only when the transaction commits.
    await q.query(`
      CREATE FUNCTION moderation_queue_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('moderation_queue', '');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER comments_queue_notify AFTER INSERT OR DELETE OR UPDATE OF status, approved_at
      ON comments FOR EACH STATEMENT EXECUTE FUNCTION moderation_queue_notify()`);
    await q.query(`
      CREATE TRIGGER comment_reports_queue_notify AFTER INSERT OR DELETE
      ON comment_reports FOR EACH STATEMENT EXECUTE FUNCTION moderation_queue_notify()`);
    // The site-wide audit log pages newest first, optionally by actor or action.
    await q.query('CREATE INDEX moderation_events_actor_idx ON moderation_events (actor, id DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX moderation_events_actor_idx');
    await q.query('DROP TRIGGER comment_reports_queue_notify ON comment_reports');
    await q.query('DROP TRIGGER comments_queue_notify ON comments');
    await q.query('DROP FUNCTION moderation_queue_notify()');
    await q.query('DROP TABLE console_sessions');
  }
}
