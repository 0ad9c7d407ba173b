import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';

export type AdminRole = 'admin' | 'moderator';

// Named as in the migration, so `npm run migration:generate` proposes only real changes.
@Entity('admin_tokens')
@Unique('admin_tokens_hash_unique', ['tokenHash'])
@Check('admin_tokens_role_valid', `role IN ('admin', 'moderator')`)
// Partial unique index (one live token per name): left to the migration.
@Index('admin_tokens_live_name_unique', { synchronize: false })
export class AdminTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column('text')
  role: AdminRole;

  @Column('text', { name: 'token_hash' })
  tokenHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
