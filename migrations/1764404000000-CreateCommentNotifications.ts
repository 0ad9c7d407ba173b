import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCommentNotifications1764404000000 implements MigrationInterface {
  name = 'CreateCommentNotifications1764404000000';

  async up(q: QueryRunner): Promise<void> {
    // A digest collecting the notifications of a flood for one recipient (and one article for
    // readers). Its mail is one outbox row, amended while still queued; once a dispatcher claims
    // it, the digest is closed and the next notification opens a new one.
    await q.query(`
      CREATE TABLE notification_digests (
        id uuid NOT NULL,
        audience text NOT NULL,
        recipient_key text NOT NULL,
        article_id uuid,
        outbox_key text NOT NULL,
        open boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT notification_digests_pk PRIMARY KEY (id),
        CONSTRAINT notification_digests_article_fk FOREIGN KEY (article_id)
          REFERENCES articles (id) ON DELETE CASCADE,
        CONSTRAINT notification_digests_audience_ck CHECK (audience IN ('reader', 'moderator')),
        CONSTRAINT notification_digests_outbox_key_uq UNIQUE (outbox_key)
      )`);
    // At most one digest collecting per recipient and scope, whatever the number of instances.
    await q.query(`
      CREATE UNIQUE INDEX notification_digests_open_uq ON notification_digests
        (audience, recipient_key, COALESCE(article_id, '00000000-0000-0000-0000-000000000000'::uuid))
        WHERE open`);

    // One row per comment and recipient (per hold, for moderators): the ledger that makes a
    // notification exist once, says whether it went out alone or in a digest, and lets a
    // withdrawn comment take its notifications back.
    await q.query(`
      CREATE TABLE comment_notifications (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        comment_id uuid NOT NULL,
        article_id uuid NOT NULL,
        audience text NOT NULL,
        occasion integer NOT NULL DEFAULT 0,
        recipient_key text NOT NULL,
        subscription_id uuid,
        reasons text[] NOT NULL,
        delivery text NOT NULL,
        outbox_key text,
        digest_id uuid,
        cancelled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT comment_notifications_pk PRIMARY KEY (id),
        CONSTRAINT comment_notifications_comment_fk FOREIGN KEY (comment_id)
          REFERENCES comments (id) ON DELETE CASCADE,
        CONSTRAINT comment_notifications_article_fk FOREIGN KEY (article_id)
          REFERENCES articles (id) ON DELETE CASCADE,
        CONSTRAINT comment_notifications_subscription_fk FOREIGN KEY (subscription_id)
          REFERENCES subscriptions (id) ON DELETE SET NULL,
        CONSTRAINT comment_notifications_digest_fk FOREIGN KEY (digest_id)
          REFERENCES notification_digests (id) ON DELETE CASCADE,
        CONSTRAINT comment_notifications_audience_ck CHECK (audience IN ('reader', 'moderator')),
        CONSTRAINT comment_notifications_delivery_ck CHECK (
          (delivery = 'instant' AND outbox_key IS NOT NULL AND digest_id IS NULL)
          OR (delivery = 'digest' AND digest_id IS NOT NULL AND outbox_key IS NULL)),
        CONSTRAINT comment_notifications_once_uq
          UNIQUE (audience, comment_id, recipient_key, occasion)
      )`);
    // The flood check: single mails to one recipient within the window.
    await q.query(`
      CREATE INDEX comment_notifications_flood_idx
        ON comment_notifications (audience, recipient_key, created_at) WHERE delivery = 'instant'`);
    await q.query(`
      CREATE INDEX comment_notifications_digest_idx ON comment_notifications (digest_id)
        WHERE digest_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE comment_notifications');
    await q.query('DROP TABLE notification_digests');
  }
}
