import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { cursorTimeSql } from '../common/cursor';
import { SubscriptionKind } from '../mail/mail-templates';
import { SubscriptionEntity, SubscriptionStatus } from './subscription.entity';

export interface SubscriptionWithSlug {
  subscription: SubscriptionEntity;
  articleSlug: string | null;
  /** created_at to the microsecond, for the list's cursor. */
  cursorTime: string;
}

@Injectable()
export class SubscriptionsRepository {
  constructor(
    @InjectRepository(SubscriptionEntity) private readonly rows: Repository<SubscriptionEntity>,
  ) {}

  private repo(manager?: EntityManager): Repository<SubscriptionEntity> {
    return manager?.getRepository(SubscriptionEntity) ?? this.rows;
  }

  /** Serializes every opt-in request for one address (the per-address cap depends on it). */
  async lockAddress(manager: EntityManager, emailKey: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`subscription:${emailKey}`]);
  }

  findScoped(
    manager: EntityManager,
    kind: SubscriptionKind,
    emailKey: string,
    articleId: string | null,
  ): Promise<SubscriptionEntity | null> {
    return this.repo(manager).findOne({
      where: { kind, emailKey, articleId: articleId ?? IsNull() },
      lock: { mode: 'pessimistic_write' },
    });
  }

  findByConfirmHash(hash: string, manager?: EntityManager): Promise<SubscriptionEntity | null> {
    return this.repo(manager).findOne({
      where: { confirmTokenHash: hash },
      ...(manager ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  findByUnsubscribeHash(hash: string, manager?: EntityManager): Promise<SubscriptionEntity | null> {
    return this.repo(manager).findOne({
      where: { unsubscribeTokenHash: hash },
      ...(manager ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  async insert(manager: EntityManager, row: Partial<SubscriptionEntity>): Promise<void> {
    await this.repo(manager).insert(row);
  }

  async update(
    manager: EntityManager,
    id: string,
    changes: Partial<SubscriptionEntity>,
  ): Promise<void> {
    await this.repo(manager).update({ id }, changes);
  }

  /**
   * One keyset batch of confirmed subscribers (subscriptions_confirmed_idx). FOR SHARE holds off
   * an unsubscribe of these rows until the caller's transaction commits, so the unsubscribe then
   * sees, and withdraws, the mail queued for them.
   */
  findConfirmedAfter(
    manager: EntityManager,
    kind: SubscriptionKind,
    afterId: string | null,
    limit: number,
  ): Promise<{ id: string; email: string }[]> {
    return manager.query(
      `SELECT id, email FROM subscriptions
        WHERE kind = $1 AND status = 'confirmed' AND article_id IS NULL
          AND ($2::uuid IS NULL OR id > $2::uuid)
        ORDER BY id
        LIMIT $3
        FOR SHARE`,
      [kind, afterId, limit],
    );
  }

  /**
   * Ends the address's live subscriptions, all of them or those of one article, in the caller's
   * transaction; returns their ids (subscriptions_article_email_uq / a scan of one address).
   */
  async unsubscribeAddress(
    manager: EntityManager,
    emailKey: string,
    articleId: string | null,
  ): Promise<string[]> {
    const rows: unknown = await manager.query(
      `UPDATE subscriptions
          SET status = 'unsubscribed', unsubscribed_at = now(), updated_at = now(),
              confirm_token_hash = NULL, confirm_expires_at = NULL
        WHERE email_key = $1 AND status IN ('pending', 'confirmed')
          AND ($2::uuid IS NULL OR article_id = $2::uuid)
       RETURNING id`,
      [emailKey, articleId],
    );
    // node-postgres answers UPDATE … RETURNING with [rows, count] through TypeORM; PGlite with rows.
    const list = Array.isArray(rows) && Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows;
    return (list as { id: string }[]).map((r) => r.id);
  }

  /** A hard bounce: none of that address's subscriptions will be mailed again. */
  async markBounced(emailKey: string): Promise<void> {
    await this.rows.query(
      `UPDATE subscriptions SET status = 'bounced', updated_at = now()
        WHERE email_key = $1 AND status IN ('pending', 'confirmed')`,
      [emailKey],
    );
  }

  /** The admin list, newest first (subscriptions_created_idx), with the article's slug. */
  async findPage(
    limit: number,
    filter: { kind?: SubscriptionKind; status?: SubscriptionStatus },
    after?: { createdAt: string; id: string },
  ): Promise<SubscriptionWithSlug[]> {
    const query = this.rows
      .createQueryBuilder('s')
      .leftJoin('articles', 'a', 'a.id = s.article_id')
      .addSelect('a.slug', 'article_slug')
      .addSelect(cursorTimeSql('s.created_at'), 'cursor_time')
      .orderBy('s.created_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(limit + 1);
    if (filter.kind) {
      query.andWhere('s.kind = :kind', { kind: filter.kind });
    }
    if (filter.status) {
      query.andWhere('s.status = :status', { status: filter.status });
    }
    if (after) {
      query.andWhere('(s.created_at, s.id) < (:createdAt::timestamptz, :id::uuid)', after);
    }
    const { entities, raw } = await query.getRawAndEntities<{
      article_slug: string | null;
      cursor_time: string;
    }>();
    return entities.map((subscription, i) => ({
      subscription,
      articleSlug: raw[i]?.article_slug ?? null,
      cursorTime: raw[i].cursor_time,
    }));
  }
}
