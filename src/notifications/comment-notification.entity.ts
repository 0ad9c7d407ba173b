import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Readers subscribed to an article, or the site's moderators. */
export type NotificationAudience = 'reader' | 'moderator';

/** Why a recipient is told: `replies` / `followups` subscriptions, or `held` for moderators. */
export type NotificationReason = 'replies' | 'followups' | 'held';

/**
 * The ledger of notifications: one row per comment and recipient (per hold, for moderators).
 * `instant` rows own an outbox mail; `digest` rows are listed in their digest's mail.
 */
@Entity('comment_notifications')
export class CommentNotificationEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'comment_id' })
  commentId: string;

  @Column('uuid', { name: 'article_id' })
  articleId: string;

  @Column('text')
  audience: NotificationAudience;

  /** 0 for readers; for moderators, which hold of the comment this alert is about. */
  @Column('integer')
  occasion: number;

  @Column('text', { name: 'recipient_key' })
  recipientKey: string;

  @Column('uuid', { name: 'subscription_id', nullable: true })
  subscriptionId: string | null;

  @Column('text', { array: true })
  reasons: NotificationReason[];

  @Column('text')
  delivery: 'instant' | 'digest';

  @Column('text', { name: 'outbox_key', nullable: true })
  outboxKey: string | null;

  @Column('uuid', { name: 'digest_id', nullable: true })
  digestId: string | null;

  @Column('timestamptz', { name: 'cancelled_at', nullable: true })
  cancelledAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
