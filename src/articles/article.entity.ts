import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
  VirtualColumn,
} from 'typeorm';

export type ArticleStatus = 'draft' | 'published';

export interface ArticleBlock {
  id: string;
  type: 'paragraph' | 'heading' | 'quote' | 'list' | 'code';
  html: string;
  text: string;
}

// The constraints are created by the migrations; they are named here too so that
// `npm run migration:generate` sees the schema as it is and proposes only real changes.
@Entity('articles')
@Unique('articles_slug_unique', ['slug'])
@Check('articles_slug_format', `slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`)
@Check('articles_status_valid', `status IN ('draft', 'published')`)
@Check('articles_published_has_time', `status <> 'published' OR published_at IS NOT NULL`)
// A descending partial index, which TypeORM cannot describe: left to the migration.
@Index('articles_published_idx', { synchronize: false })
export class ArticleEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  slug: string;

  @Column('text')
  title: string;

  @Column('text', { default: '' })
  summary: string;

  @Column('text', { nullable: true })
  author: string | null;

  @Column('text', { name: 'body_source' })
  bodySource: string;

  @Column('jsonb', { default: () => "'[]'" })
  blocks: ArticleBlock[];

  @Column('text', { default: 'draft' })
  status: ArticleStatus;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;

  @Column('boolean', { name: 'comments_open', default: true })
  commentsOpen: boolean;

  /**
   * Approved comments, replies included: the sum of the article's counter shards, which the
   * comments feature maintains (migrations/1764510000000-ShardArticleCounters.ts).
   */
  @VirtualColumn({ type: 'integer', query: (a) => `SELECT article_comment_count(${a}.id)` })
  commentCount: number;

  /** Approved anchored comments per block id, summed the same way. */
  @VirtualColumn({ type: 'jsonb', query: (a) => `SELECT article_inline_counts(${a}.id)` })
  inlineCounts: Record<string, number>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
