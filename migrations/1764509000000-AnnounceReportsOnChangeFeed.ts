import { MigrationInterface, QueryRunner } from 'typeorm';

const NOTIFY_CHANGE_WITH_REPORTS = `
  CREATE OR REPLACE FUNCTION marginalia_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    target record := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  BEGIN
    IF TG_TABLE_NAME = 'comments' THEN
      PERFORM pg_notify('marginalia_changes', json_build_object(
        'table', 'comments', 'op', TG_OP, 'articleId', target.article_id,
        'commentId', target.id, 'status', target.status)::text);
    ELSIF TG_TABLE_NAME = 'comment_reports' THEN
      PERFORM pg_notify('marginalia_changes', json_build_object(
        'table', 'comment_reports', 'op', TG_OP, 'articleId', target.article_id,
        'commentId', target.comment_id)::text);
    ELSE
      PERFORM pg_notify('marginalia_changes', json_build_object(
        'table', 'articles', 'op', TG_OP, 'articleId', target.id)::text);
    END IF;
    RETURN NULL;
  END $$`;

const NOTIFY_CHANGE_WITHOUT_REPORTS = `
  CREATE OR REPLACE FUNCTION marginalia_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    target record := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  BEGIN
    IF TG_TABLE_NAME = 'comments' THEN
      PERFORM pg_notify('marginalia_changes', json_build_object(
        'table', 'comments', 'op', TG_OP, 'articleId', target.article_id,
        'commentId', target.id, 'status', target.status)::text);
    ELSE
      PERFORM pg_notify('marginalia_changes', json_build_object(
        'table', 'articles', 'op', TG_OP, 'articleId', target.id)::text);
    END IF;
    RETURN NULL;
  END $$`;

/**
 * One channel for every live consumer: reports are announced on `marginalia_changes` too, and the
 * moderation console follows the queue there instead of on a channel of its own
 * (`moderation_queue`, whose triggers go).
 */
export class AnnounceReportsOnChangeFeed1764509000000 implements MigrationInterface {
  name = 'AnnounceReportsOnChangeFeed1764509000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(NOTIFY_CHANGE_WITH_REPORTS);
    await q.query(`
      CREATE TRIGGER comment_reports_notify_change AFTER INSERT OR DELETE ON comment_reports
        FOR EACH ROW EXECUTE FUNCTION marginalia_notify_change()`);
    await q.query('DROP TRIGGER comment_reports_queue_notify ON comment_reports');
    await q.query('DROP TRIGGER comments_queue_notify ON comments');
    await q.query('DROP FUNCTION moderation_queue_notify()');
  }

  async down(q: QueryRunner): Promise<void> {
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
    await q.query('DROP TRIGGER comment_reports_notify_change ON comment_reports');
    await q.query(NOTIFY_CHANGE_WITHOUT_REPORTS);
  }
}
