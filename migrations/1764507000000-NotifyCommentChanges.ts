import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every committed change to a comment or an article is announced on the `marginalia_changes`
 * channel, whoever made it (any instance, the CLI, a moderator's bulk move). Instances LISTEN to
 * empty their thread caches at once instead of waiting for the expiry, and the moderation console
 * can follow the queue live. NOTIFY is transactional: a rolled-back write announces nothing, and
 * identical payloads within one transaction are sent once.
 */
export class NotifyCommentChanges1764507000000 implements MigrationInterface {
  name = 'NotifyCommentChanges1764507000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION marginalia_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
      END $$`);
    await q.query(`
      CREATE TRIGGER comments_notify_change AFTER INSERT OR UPDATE OR DELETE ON comments
        FOR EACH ROW EXECUTE FUNCTION marginalia_notify_change()`);
    await q.query(`
      CREATE TRIGGER articles_notify_change AFTER INSERT OR UPDATE OR DELETE ON articles
        FOR EACH ROW EXECUTE FUNCTION marginalia_notify_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER articles_notify_change ON articles');
    await q.query('DROP TRIGGER comments_notify_change ON comments');
    await q.query('DROP FUNCTION marginalia_notify_change()');
  }
}
