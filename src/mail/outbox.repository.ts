import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { mailboxSql } from '../common/client-keys';
import { cursorTimeSql } from '../common/cursor';
import { EmailOutboxEntity, EmailStatus, MailStream } from './email-outbox.entity';
import { inTransaction } from '../database/transactions';
import { updated } from '../database/updated-rows';

/** A row as the dispatcher needs it. */
export interface ClaimedEmail {
  id: string;
  stream: MailStream;
  template: string;
  recipient: string;
  payload: unknown;
  subscriptionId: string | null;
  attempts: number;
}

export interface NewEmailRow {
  idempotencyKey: string;
  stream: MailStream;
  template: string;
  recipient: string;
  payload: unknown;
  subscriptionId: string | null;
  notBefore: Date | null;
}

interface ClaimedRow {
  id: string;
  stream: MailStream;
  template: string;
  recipient: string;
  payload: unknown;
  subscription_id: string | null;
  attempts: number;
}

function toClaimed(row: ClaimedRow): ClaimedEmail {
  return {
    id: row.id,
    stream: row.stream,
    template: row.template,
    recipient: row.recipient,
    payload: row.payload,
    subscriptionId: row.subscription_id,
    attempts: row.attempts,
  };
}

/** The channel a committed row of mail to send is announced on (PgNotifications hears it). */
export const MAIL_CHANNEL = 'email_outbox';

/** Hand-written SQL where the dispatcher's correctness lives; each statement says its index. */
/** The issue id in a newsletter row's idempotency key `newsletter:<issue>:<subscription>`. */
const NEWSLETTER_ISSUE_SQL = "split_part(idempotency_key, ':', 2)";

@Injectable()
export class OutboxRepository {
  constructor(
    @InjectRepository(EmailOutboxEntity) private readonly rows: Repository<EmailOutboxEntity>,
  ) {}

  /** Inserts unless the idempotency key exists; returns whether a row was added. */
  async insertOnce(manager: EntityManager, row: NewEmailRow): Promise<boolean> {
    const inserted: unknown[] = await manager.query(
      `INSERT INTO email_outbox
         (idempotency_key, stream, template, recipient, payload, subscription_id, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, now()))
       ON CONFLICT ON CONSTRAINT email_outbox_idempotency_key_uq DO NOTHING
       RETURNING id`,
      [
        row.idempotencyKey,
        row.stream,
        row.template,
        row.recipient,
        JSON.stringify(row.payload),
        row.subscriptionId,
        row.notBefore,
      ],
    );
    return inserted.length > 0;
  }

  /**
   * Many recipients of one mail in one statement (a newsletter batch): the payload travels once,
   * suppressed addresses are left out, and a key that exists already is skipped.
   */
  async insertMany(
    manager: EntityManager,
    common: { stream: MailStream; template: string; payload: unknown },
    recipients: { key: string; to: string; subscriptionId: string | null }[],
  ): Promise<number> {
    if (recipients.length === 0) {
      return 0;
    }
    const inserted: unknown[] = await manager.query(
      `INSERT INTO email_outbox
         (idempotency_key, stream, template, recipient, payload, subscription_id)
       SELECT r.key, $1, $2, r.recipient, $3::jsonb, r.subscription_id
         FROM unnest($4::text[], $5::text[], $6::uuid[]) AS r(key, recipient, subscription_id)
        WHERE NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.email_key = lower(r.recipient))
       ON CONFLICT ON CONSTRAINT email_outbox_idempotency_key_uq DO NOTHING
       RETURNING id`,
      [
        common.stream,
        common.template,
        JSON.stringify(common.payload),
        recipients.map((r) => r.key),
        recipients.map((r) => r.to),
        recipients.map((r) => r.subscriptionId),
      ],
    );
    return inserted.length;
  }

  /** Wakes every listening dispatcher once the surrounding transaction commits. */
  async notifyDispatchers(manager: EntityManager): Promise<void> {
    await manager.query(`SELECT pg_notify('${MAIL_CHANNEL}', '')`);
  }

  /**
   * Milliseconds until the next queued or failed row falls due (≤ 0: due now), by the database's
   * clock; null when none waits. Uses email_outbox_due_idx.
   */
  async msUntilNextDue(): Promise<number | null> {
    const [{ ms }]: { ms: string | null }[] = await this.rows.query(
      `SELECT extract(epoch FROM min(next_attempt_at) - now()) * 1000 AS ms
         FROM email_outbox WHERE status IN ('queued', 'failed')`,
    );
    return ms === null ? null : Number(ms);
  }

  /**
   * Leases up to `limit` due rows to `owner`. SKIP LOCKED lets several instances claim at once
   * without waiting on or taking each other's rows. Uses email_outbox_due_idx.
   */
  async claimDue(owner: string, limit: number, leaseMs: number): Promise<ClaimedEmail[]> {
    const { rows } = updated<ClaimedRow>(
      await this.rows.query(
        `UPDATE email_outbox
          SET status = 'claimed', lease_owner = $1,
              lease_until = now() + $3 * interval '1 millisecond', updated_at = now()
        WHERE id IN (
          SELECT id FROM email_outbox
           WHERE status IN ('queued', 'failed') AND next_attempt_at <= now()
           ORDER BY next_attempt_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
       RETURNING id, stream, template, recipient, payload, subscription_id, attempts`,
        [owner, limit, leaseMs],
      ),
    );
    return rows.map(toClaimed);
  }

  /**
   * Marks claimed rows as being attempted (this is what makes a crash from here on "uncertain"),
   * renewing their lease; rows whose address was suppressed meanwhile are skipped instead.
   * Returns the ids this owner may now send; a row reclaimed by someone else is not among them.
   */
  async beginAttempts(ids: string[], owner: string, leaseMs: number): Promise<Set<string>> {
    const { rows } = updated<{ id: string; status: EmailStatus }>(
      await this.rows.query(
        `UPDATE email_outbox o
          SET status = CASE WHEN x.suppressed THEN 'skipped' ELSE 'sending' END,
              attempts = o.attempts + CASE WHEN x.suppressed THEN 0 ELSE 1 END,
              lease_until = CASE WHEN NOT x.suppressed
                              THEN now() + $3 * interval '1 millisecond' END,
              lease_owner = CASE WHEN NOT x.suppressed THEN o.lease_owner END,
              last_error = CASE WHEN x.suppressed THEN 'not sent: the address is suppressed'
                                ELSE o.last_error END,
              updated_at = now()
         FROM (SELECT e.id, EXISTS (SELECT 1 FROM suppressions s
                                     WHERE s.email_key = lower(e.recipient)) AS suppressed
                 FROM email_outbox e
                WHERE e.id = ANY($1::uuid[])) AS x
        WHERE o.id = x.id AND o.id = ANY($1::uuid[])
          AND o.status = 'claimed' AND o.lease_owner = $2
       RETURNING o.id, o.status`,
        [ids, owner, leaseMs],
      ),
    );
    return new Set(rows.filter((r) => r.status === 'sending').map((r) => r.id));
  }

  /**
   * Records accepted messages in one statement; a row no longer ours is left alone. The
   * `id = ANY` keeps it on the primary key instead of a join over the whole table.
   */
  async markSent(sent: { id: string; messageId: string }[], owner: string): Promise<number> {
    if (sent.length === 0) {
      return 0;
    }
    const { count } = updated(
      await this.rows.query(
        `UPDATE email_outbox o
          SET status = 'sent', sent_at = now(), message_id = v.message_id, last_error = NULL,
              lease_owner = NULL, lease_until = NULL, updated_at = now()
         FROM unnest($1::uuid[], $2::text[]) AS v(id, message_id)
        WHERE o.id = v.id AND o.id = ANY($1::uuid[])
          AND o.status = 'sending' AND o.lease_owner = $3`,
        [sent.map((s) => s.id), sent.map((s) => s.messageId), owner],
      ),
    );
    return count;
  }

  /** A transient failure: due again after `delayMs`. */
  async markForRetry(id: string, owner: string, error: string, delayMs: number): Promise<void> {
    await this.rows.query(
      `UPDATE email_outbox
          SET status = 'failed', last_error = $3,
              next_attempt_at = now() + $4 * interval '1 millisecond',
              lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1 AND status = 'sending' AND lease_owner = $2`,
      [id, owner, error, delayMs],
    );
  }

  /** dead (never retried automatically) or ambiguous (may have been delivered). */
  async markFinalFailure(
    id: string,
    owner: string,
    status: 'dead' | 'ambiguous',
    error: string,
  ): Promise<void> {
    await this.rows.query(
      `UPDATE email_outbox
          SET status = $3, last_error = $4, lease_owner = NULL, lease_until = NULL,
              updated_at = now()
        WHERE id = $1 AND status = 'sending' AND lease_owner = $2`,
      [id, owner, status, error],
    );
  }

  /**
   * Rows whose dispatcher died. Claimed but never attempted: simply due again. Mid-send: the
   * message may have gone out; transactional mail is sent again (a second confirmation is
   * harmless and carries the same Message-ID), the rest is marked ambiguous for a human.
   * Uses email_outbox_lease_idx.
   */
  async reclaimExpiredLeases(): Promise<{ requeued: number; ambiguous: number }> {
    const { rows } = updated<{ status: EmailStatus }>(
      await this.rows.query(
        `UPDATE email_outbox
          SET status = CASE WHEN status = 'claimed' OR stream = 'transactional'
                            THEN 'queued' ELSE 'ambiguous' END,
              last_error = CASE WHEN status = 'claimed' THEN last_error
                                ELSE 'the dispatcher stopped mid-send: delivery unknown' END,
              next_attempt_at = now(), lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE status IN ('claimed', 'sending') AND lease_until < now()
       RETURNING status`,
      ),
    );
    return {
      requeued: rows.filter((r) => r.status === 'queued').length,
      ambiguous: rows.filter((r) => r.status === 'ambiguous').length,
    };
  }

  /**
   * On shutdown: hands back claimed rows this instance never started, and wakes the other
   * dispatchers, which take them and whatever retries this one was waiting for.
   */
  async releaseClaims(owner: string): Promise<void> {
    await this.rows.query(
      `WITH released AS (
         UPDATE email_outbox
            SET status = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = now()
          WHERE status = 'claimed' AND lease_owner = $1)
       SELECT pg_notify('${MAIL_CHANNEL}', '')`,
      [owner],
    );
  }

  /** Queued mail of a withdrawn subscription is not sent (uses email_outbox_subscription_idx). */
  async skipUnsentForSubscription(
    manager: EntityManager,
    subscriptionId: string,
    reason: string,
  ): Promise<void> {
    await manager.query(
      `UPDATE email_outbox
          SET status = 'skipped', last_error = $2, updated_at = now()
        WHERE subscription_id = $1 AND status IN ('queued', 'failed')`,
      [subscriptionId, reason],
    );
  }

  /** Uses email_outbox_idempotency_key_uq; only a row no dispatcher has claimed is changed. */
  async amendQueued(manager: EntityManager, key: string, payload: unknown): Promise<boolean> {
    const { rows } = updated<{ id: string }>(
      await manager.query(
        `UPDATE email_outbox SET payload = $2, updated_at = now()
          WHERE idempotency_key = $1 AND status = 'queued'
        RETURNING id`,
        [key, JSON.stringify(payload)],
      ),
    );
    return rows.length > 0;
  }

  /**
   * Withdraws rows by key before a send begins: queued, waiting for a retry, or claimed but not
   * yet attempted (the dispatcher only sends rows still `claimed` by it, so it drops these).
   */
  async skipUnsentByKeys(manager: EntityManager, keys: string[], reason: string): Promise<number> {
    const { rows } = updated<{ id: string }>(
      await manager.query(
        `UPDATE email_outbox
            SET status = 'skipped', last_error = $2, lease_owner = NULL, lease_until = NULL,
                updated_at = now()
          WHERE idempotency_key = ANY($1::text[]) AND status IN ('queued', 'failed', 'claimed')
        RETURNING id`,
        [keys, reason],
      ),
    );
    return rows.length;
  }

  /** Everything not yet attempted to one address (uses email_outbox_recipient_idx). */
  async skipUnsentTo(manager: EntityManager, emailKey: string, reason: string): Promise<void> {
    await manager.query(
      `UPDATE email_outbox
          SET status = 'skipped', last_error = $2, lease_owner = NULL, lease_until = NULL,
              updated_at = now()
        WHERE lower(recipient) = $1 AND status IN ('queued', 'failed', 'claimed')`,
      [emailKey, reason],
    );
  }

  /**
   * Mail of this template to any address of this mailbox since `since` (the confirmation cap):
   * `a+1@x`, `a+2@x` and `A@x` share one cap (email_outbox_mailbox_idx).
   */
  async countRecentToMailbox(
    manager: EntityManager,
    mailbox: string,
    template: string,
    since: Date,
  ): Promise<number> {
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM email_outbox
        WHERE ${mailboxSql('recipient')} = $1 AND template = $2 AND created_at > $3`,
      [mailbox, template, since],
    );
    return rows[0].n;
  }

  /** The admin list, newest first (email_outbox_status_created_idx / _created_idx). */
  async findPage(
    limit: number,
    status: EmailStatus | undefined,
    after?: { createdAt: string; id: string },
  ): Promise<{ email: EmailOutboxEntity; cursorTime: string }[]> {
    const query = this.rows
      .createQueryBuilder('e')
      .addSelect(cursorTimeSql('e.created_at'), 'cursor_time')
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(limit + 1);
    if (status) {
      query.andWhere('e.status = :status', { status });
    }
    if (after) {
      query.andWhere('(e.created_at, e.id) < (:createdAt::timestamptz, :id::uuid)', after);
    }
    const { entities, raw } = await query.getRawAndEntities<{ cursor_time: string }>();
    return entities.map((email, i) => ({ email, cursorTime: raw[i].cursor_time }));
  }

  /** The whole outbox by status (an index-only scan of email_outbox_status_created_idx). */
  countByStatus(): Promise<{ status: string; n: number }[]> {
    return this.rows.query('SELECT status, count(*)::int AS n FROM email_outbox GROUP BY status');
  }

  /** One newsletter issue's rows by status (email_outbox_newsletter_issue_idx). */
  countByStatusForIssue(issueId: string): Promise<{ status: string; n: number }[]> {
    return this.rows.query(
      `SELECT status, count(*)::int AS n FROM email_outbox
        WHERE stream = 'newsletter' AND ${NEWSLETTER_ISSUE_SQL} = $1
        GROUP BY status`,
      [issueId],
    );
  }

  /** The row, read through `manager` when it must see (or be part of) a transaction's work. */
  findById(id: string, manager = this.rows.manager): Promise<EmailOutboxEntity | null> {
    return manager.findOneBy(EmailOutboxEntity, { id });
  }

  /**
   * An operator's second chance for a dead or ambiguous row; returns it, or null if not so. Due
   * at once: a dispatcher is woken for it rather than left to its safety poll. The row is
   * read back in the same transaction: its NOTIFY goes out at COMMIT, so the dispatcher it wakes
   * cannot have claimed the row yet, and the answer is the state the retry made ('queued'), not
   * whatever a dispatcher made of it since (read after COMMIT, it was 'claimed' now and then).
   */
  requeueFinal(id: string): Promise<EmailOutboxEntity | null> {
    return inTransaction(this.rows.manager.connection, async (manager) => {
      const { rows } = updated<{ id: string }>(
        await manager.query(
          `WITH requeued AS (
             UPDATE email_outbox
                SET status = 'queued', attempts = 0, next_attempt_at = now(), updated_at = now()
              WHERE id = $1 AND status IN ('dead', 'ambiguous')
             RETURNING id)
           SELECT id, pg_notify('${MAIL_CHANNEL}', '') FROM requeued`,
          [id],
        ),
      );
      return rows.length ? this.findById(id, manager) : null;
    });
  }
}
