import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateModerationSettingsAndEvents1764403000000 implements MigrationInterface {
  name = 'CreateModerationSettingsAndEvents1764403000000';

  async up(q: QueryRunner): Promise<void> {
    // One row: the site's moderation rules, read by every instance on every new comment.
    await q.query(`
      CREATE TABLE moderation_settings (
        id smallint PRIMARY KEY DEFAULT 1,
        settings jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL,
        CONSTRAINT moderation_settings_single_row CHECK (id = 1)
      )`);
    // Append-only audit trail. No foreign key to comments: the record outlives a purge.
    await q.query(`
      CREATE TABLE moderation_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        comment_id uuid,
        article_id uuid,
        actor text NOT NULL,
        action text NOT NULL,
        from_status text,
        to_status text,
        reason text,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(
      'CREATE INDEX moderation_events_comment_idx ON moderation_events (comment_id, id)',
    );
    await q.query(`
      CREATE FUNCTION moderation_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'moderation_events is append-only' USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    await q.query(`
      CREATE TRIGGER moderation_events_no_change BEFORE UPDATE OR DELETE ON moderation_events
      FOR EACH ROW EXECUTE FUNCTION moderation_events_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE moderation_events');
    await q.query('DROP FUNCTION moderation_events_append_only()');
    await q.query('DROP TABLE moderation_settings');
  }
}
