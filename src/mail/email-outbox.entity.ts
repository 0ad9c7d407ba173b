import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type MailStream = 'transactional' | 'notification' | 'newsletter';

/**
 * queued → claimed (leased to one dispatcher) → sending (an SMTP attempt began) → sent;
 * a transient failure goes to failed (retried when due), a permanent one to dead, a crash
 * mid-send of a non-transactional mail to ambiguous, a suppressed or withdrawn recipient to skipped.
 */
export type EmailStatus =
  'queued' | 'claimed' | 'sending' | 'sent' | 'failed' | 'dead' | 'ambiguous' | 'skipped';

@Entity('email_outbox')
export class EmailOutboxEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text', { name: 'idempotency_key' })
  idempotencyKey: string;

  @Column('text')
  stream: MailStream;

  @Column('text')
  template: string;

  @Column('text')
  recipient: string;

  @Column('jsonb')
  payload: Record<string, unknown>;

  /** The subscription the mail belongs to: it gets that subscription's unsubscribe link. */
  @Column('uuid', { name: 'subscription_id', nullable: true })
  subscriptionId: string | null;

  @Column('text')
  status: EmailStatus;

  @Column('integer')
  attempts: number;

  @Column('timestamptz', { name: 'next_attempt_at' })
  nextAttemptAt: Date;

  @Column('text', { name: 'lease_owner', nullable: true })
  leaseOwner: string | null;

  @Column('timestamptz', { name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @Column('text', { name: 'message_id', nullable: true })
  messageId: string | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column('timestamptz', { name: 'sent_at', nullable: true })
  sentAt: Date | null;
}
