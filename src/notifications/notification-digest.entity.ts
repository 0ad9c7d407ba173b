import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { NotificationAudience } from './comment-notification.entity';

/** A digest mail collecting one recipient's notifications during a flood. */
@Entity('notification_digests')
export class NotificationDigestEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  audience: NotificationAudience;

  @Column('text', { name: 'recipient_key' })
  recipientKey: string;

  /** The article a reader digest is about; null for moderators (one digest for the site). */
  @Column('uuid', { name: 'article_id', nullable: true })
  articleId: string | null;

  @Column('text', { name: 'outbox_key' })
  outboxKey: string;

  /** Still collecting: its outbox row is queued and may be amended. */
  @Column('boolean')
  open: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
