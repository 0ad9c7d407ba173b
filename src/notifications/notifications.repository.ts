import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { NotificationAudience, NotificationReason } from './comment-notification.entity';

/** A confirmed, unsuppressed follow-up or reply subscription of one article. */
export interface ArticleSubscriber {
  id: string;
  kind: 'followups' | 'replies';
  email: string;
  emailKey: string;
}

export interface NotifiedArticle {
  id: string;
  slug: string;
  title: string;
}

/** A comment as a notification mail lists it (from the comments table, read in the transaction). */
export interface ListedComment {
  id: string;
  articleId: string;
  articleSlug: string;
  articleTitle: string;
  authorName: string;
  bodyHtml: string;
  parentId: string | null;
  reasons: string[];
  /** Why this recipient was told (from the ledger). */
  because: NotificationReason[];
  subscriptionId: string | null;
}

export interface LedgerRow {
  id: string;
  recipientKey: string;
  delivery: 'instant' | 'digest';
  outboxKey: string | null;
  digestId: string | null;
}

export interface NewLedgerRow {
  commentId: string;
  articleId: string;
  audience: NotificationAudience;
  occasion: number;
  recipientKey: string;
  subscriptionId: string | null;
  reasons: NotificationReason[];
  delivery: 'instant' | 'digest';
  outboxKey: string | null;
  digestId: string | null;
}

/**
 * Every statement runs in the caller's transaction (the one changing the comment), so what it
 * records commits or rolls back with that change.
 */
@Injectable()
export class NotificationsRepository {
  /**
   * Serializes notification work for one recipient across instances: the flood count and the
   * digest it may amend stay consistent. Callers lock several recipients in sorted order.
   */
  async lockRecipient(
    manager: EntityManager,
    audience: NotificationAudience,
    key: string,
  ): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `notify:${audience}:${key}`,
    ]);
  }

  async findArticle(manager: EntityManager, id: string): Promise<NotifiedArticle | null> {
    const rows: NotifiedArticle[] = await manager.query(
      'SELECT id, slug, title FROM articles WHERE id = $1',
      [id],
    );
    return rows[0] ?? null;
  }

  /** Uses subscriptions_article_email_uq (kind, article_id, email_key). */
  findArticleSubscribers(manager: EntityManager, articleId: string): Promise<ArticleSubscriber[]> {
    return manager.query(
      `SELECT s.id, s.kind, s.email, s.email_key AS "emailKey" FROM subscriptions s
        WHERE s.kind IN ('followups', 'replies') AND s.article_id = $1 AND s.status = 'confirmed'
          AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email_key = s.email_key)
        ORDER BY s.email_key, s.kind`,
      [articleId],
    );
  }

  /** The keyed address hash of the author of each of these comments (replies' ancestors). */
  async findAuthorHashes(
    manager: EntityManager,
    commentIds: string[],
  ): Promise<Map<string, string>> {
    if (commentIds.length === 0) {
      return new Map();
    }
    const rows: { id: string; hash: string }[] = await manager.query(
      'SELECT id, author_email_hash AS hash FROM comments WHERE id = ANY($1::uuid[])',
      [[...new Set(commentIds)]],
    );
    return new Map(rows.map((r) => [r.id, r.hash]));
  }

  /**
   * The moderators' addresses, from the moderation feature's settings row (read, never written,
   * here). No row yet, or no such table in a partial deployment: nobody to alert.
   */
  async findModeratorEmails(manager: EntityManager): Promise<string[]> {
    const exists: { t: string | null }[] = await manager.query(
      "SELECT to_regclass('moderation_settings')::text AS t",
    );
    if (!exists[0]?.t) {
      return [];
    }
    const rows: { emails: unknown }[] = await manager.query(
      "SELECT settings -> 'moderatorEmails' AS emails FROM moderation_settings WHERE id = 1",
    );
    const emails = rows[0]?.emails;
    return Array.isArray(emails) ? emails.filter((e): e is string => typeof e === 'string') : [];
  }

  async isSuppressed(manager: EntityManager, key: string): Promise<boolean> {
    const rows: unknown[] = await manager.query('SELECT 1 FROM suppressions WHERE email_key = $1', [
      key,
    ]);
    return rows.length > 0;
  }

  async moveToDigest(manager: EntityManager, ledgerIds: string[], digestId: string): Promise<void> {
    await manager.query(
      'UPDATE comment_notifications SET digest_id = $2 WHERE id = ANY($1::uuid[])',
      [ledgerIds, digestId],
    );
  }

  /** How many notifications each of these comments has given this recipient (absent: none). */
  async countLedgerRowsMany(
    manager: EntityManager,
    audience: NotificationAudience,
    commentIds: string[],
    key: string,
  ): Promise<Map<string, number>> {
    const rows: { commentId: string; n: number }[] = await manager.query(
      `SELECT comment_id AS "commentId", count(*)::int AS n FROM comment_notifications
        WHERE audience = $1 AND comment_id = ANY($2::uuid[]) AND recipient_key = $3
        GROUP BY comment_id`,
      [audience, commentIds, key],
    );
    return new Map(rows.map((r) => [r.commentId, r.n]));
  }

  /** Single mails to this recipient within the last `windowMs` (comment_notifications_flood_idx). */
  async countInstantWithin(
    manager: EntityManager,
    audience: NotificationAudience,
    key: string,
    windowMs: number,
  ): Promise<number> {
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM comment_notifications
        WHERE audience = $1 AND recipient_key = $2 AND delivery = 'instant'
          AND created_at > now() - $3 * interval '1 millisecond'`,
      [audience, key, windowMs],
    );
    return rows[0].n;
  }

  /** Returns the new row's id, or null when this notification exists already (its unique key). */
  async insertLedgerRow(manager: EntityManager, row: NewLedgerRow): Promise<string | null> {
    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO comment_notifications
         (comment_id, article_id, audience, occasion, recipient_key, subscription_id, reasons,
          delivery, outbox_key, digest_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT ON CONSTRAINT comment_notifications_once_uq DO NOTHING
       RETURNING id`,
      [
        row.commentId,
        row.articleId,
        row.audience,
        row.occasion,
        row.recipientKey,
        row.subscriptionId,
        row.reasons,
        row.delivery,
        row.outboxKey,
        row.digestId,
      ],
    );
    return inserted[0]?.id ?? null;
  }

  /**
   * Many ledger rows in one statement; returns the ids of the rows inserted (repeats, by the
   * unique key, are skipped).
   */
  async insertLedgerRows(manager: EntityManager, rows: NewLedgerRow[]): Promise<string[]> {
    if (rows.length === 0) {
      return [];
    }
    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO comment_notifications
         (comment_id, article_id, audience, occasion, recipient_key, subscription_id, reasons,
          delivery, outbox_key, digest_id)
       SELECT r."commentId", r."articleId", r.audience, r.occasion, r."recipientKey",
              r."subscriptionId", r.reasons, r.delivery, r."outboxKey", r."digestId"
         FROM jsonb_to_recordset($1::jsonb) AS r("commentId" uuid, "articleId" uuid,
              audience text, occasion integer, "recipientKey" text, "subscriptionId" uuid,
              reasons text[], delivery text, "outboxKey" text, "digestId" uuid)
       ON CONFLICT ON CONSTRAINT comment_notifications_once_uq DO NOTHING
       RETURNING id`,
      [JSON.stringify(rows)],
    );
    return inserted.map((r) => r.id);
  }

  /** The digest still collecting for this recipient and scope, locked (notification_digests_open_uq). */
  async findOpenDigest(
    manager: EntityManager,
    audience: NotificationAudience,
    key: string,
    articleId: string | null,
  ): Promise<{ id: string; outboxKey: string } | null> {
    const rows: { id: string; outboxKey: string }[] = await manager.query(
      `SELECT id, outbox_key AS "outboxKey" FROM notification_digests
        WHERE audience = $1 AND recipient_key = $2 AND article_id IS NOT DISTINCT FROM $3 AND open
        FOR UPDATE`,
      [audience, key, articleId],
    );
    return rows[0] ?? null;
  }

  async insertDigest(
    manager: EntityManager,
    digest: {
      id: string;
      audience: NotificationAudience;
      key: string;
      articleId: string | null;
      outboxKey: string;
    },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO notification_digests (id, audience, recipient_key, article_id, outbox_key)
       VALUES ($1, $2, $3, $4, $5)`,
      [digest.id, digest.audience, digest.key, digest.articleId, digest.outboxKey],
    );
  }

  async closeDigest(manager: EntityManager, id: string): Promise<void> {
    await manager.query('UPDATE notification_digests SET open = false WHERE id = $1', [id]);
  }

  /** What a digest lists now: its notifications not withdrawn, oldest first. */
  findDigestComments(manager: EntityManager, digestId: string): Promise<ListedComment[]> {
    return manager.query(
      `SELECT c.id, c.article_id AS "articleId", a.slug AS "articleSlug", a.title AS "articleTitle",
              c.author_name AS "authorName", c.body_html AS "bodyHtml", c.parent_id AS "parentId",
              c.reasons, n.reasons AS because, n.subscription_id AS "subscriptionId"
         FROM comment_notifications n
         JOIN comments c ON c.id = n.comment_id
         JOIN articles a ON a.id = c.article_id
        WHERE n.digest_id = $1 AND n.cancelled_at IS NULL
        ORDER BY n.created_at, n.id`,
      [digestId],
    );
  }

  /** The live notifications of these comments for one audience, locked, to withdraw them. */
  findLiveForComments(
    manager: EntityManager,
    audience: NotificationAudience,
    commentIds: string[],
  ): Promise<LedgerRow[]> {
    return manager.query(
      `SELECT id, recipient_key AS "recipientKey", delivery, outbox_key AS "outboxKey",
              digest_id AS "digestId"
         FROM comment_notifications
        WHERE audience = $1 AND comment_id = ANY($2::uuid[]) AND cancelled_at IS NULL
        ORDER BY recipient_key, id
        FOR UPDATE`,
      [audience, commentIds],
    );
  }

  async markCancelled(manager: EntityManager, ids: string[]): Promise<void> {
    await manager.query(
      'UPDATE comment_notifications SET cancelled_at = now() WHERE id = ANY($1::uuid[])',
      [ids],
    );
  }

  async findDigest(
    manager: EntityManager,
    id: string,
  ): Promise<{ id: string; outboxKey: string; open: boolean } | null> {
    const rows: { id: string; outboxKey: string; open: boolean }[] = await manager.query(
      'SELECT id, outbox_key AS "outboxKey", open FROM notification_digests WHERE id = $1 FOR UPDATE',
      [id],
    );
    return rows[0] ?? null;
  }
}
