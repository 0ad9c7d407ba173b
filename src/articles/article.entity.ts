import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export type ArticleStatus = 'draft' | 'published';

export interface ArticleBlock {
  id: string;
  type: 'paragraph' | 'heading' | 'quote' | 'list' | 'code';
  html: string;
  text: string;
}

@Entity('articles')
export class ArticleEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  slug: string;

  @Column('text')
  title: string;

  @Column('text')
  summary: string;

  @Column('text', { nullable: true })
  author: string | null;

  @Column('text', { name: 'body_source' })
  bodySource: string;

  @Column('jsonb')
  blocks: ArticleBlock[];

  @Column('text')
  status: ArticleStatus;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;

  @Column('boolean', { name: 'comments_open' })
  commentsOpen: boolean;

  /** Approved comments, replies included; maintained by the comments feature. */
  @Column('integer', { name: 'comment_count', default: 0 })
  commentCount: number;

  /** Approved anchored comments per block id; maintained by the comments feature. */
  @Column('jsonb', { name: 'inline_counts', default: {} })
  inlineCounts: Record<string, number>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
