import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type SuppressionReason = 'hard_bounce' | 'complaint' | 'erased' | 'manual';

@Entity('suppressions')
export class SuppressionEntity {
  /** `emailKey()` of the address. */
  @PrimaryColumn('text', { name: 'email_key' })
  emailKey: string;

  @Column('text')
  reason: SuppressionReason;

  @Column('text', { nullable: true })
  detail: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
