import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { SubscriptionKind } from '../mail/mail-templates';

export type SubscriptionStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'bounced';

@Entity('subscriptions')
export class SubscriptionEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  kind: SubscriptionKind;

  @Column('text')
  email: string;

  /** `emailKey(email)`: what uniqueness and lookups compare. */
  @Column('text', { name: 'email_key' })
  emailKey: string;

  @Column('uuid', { name: 'article_id', nullable: true })
  articleId: string | null;

  /** Kept for the admin; never put into a mail. */
  @Column('text', { nullable: true })
  name: string | null;

  @Column('text')
  status: SubscriptionStatus;

  @Column('text', { name: 'confirm_token_hash', nullable: true })
  confirmTokenHash: string | null;

  @Column('timestamptz', { name: 'confirm_expires_at', nullable: true })
  confirmExpiresAt: Date | null;

  @Column('text', { name: 'unsubscribe_token_hash' })
  unsubscribeTokenHash: string;

  @Column('timestamptz', { name: 'consent_at' })
  consentAt: Date;

  @Column('text', { name: 'consent_ip', nullable: true })
  consentIp: string | null;

  @Column('text', { name: 'consent_user_agent', nullable: true })
  consentUserAgent: string | null;

  @Column('text', { name: 'consent_source' })
  consentSource: string;

  @Column('text', { name: 'consent_text_version' })
  consentTextVersion: string;

  @Column('timestamptz', { name: 'confirmed_at', nullable: true })
  confirmedAt: Date | null;

  @Column('text', { name: 'confirm_ip', nullable: true })
  confirmIp: string | null;

  @Column('text', { name: 'confirm_user_agent', nullable: true })
  confirmUserAgent: string | null;

  @Column('timestamptz', { name: 'unsubscribed_at', nullable: true })
  unsubscribedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
