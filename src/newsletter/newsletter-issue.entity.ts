import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('newsletter_issues')
export class NewsletterIssueEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  subject: string;

  @Column('text', { name: 'body_markdown', nullable: true })
  bodyMarkdown: string | null;

  @Column('uuid', { name: 'article_id', nullable: true })
  articleId: string | null;

  @Column('integer')
  recipients: number;

  @Column('text', { name: 'created_by', nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'queued_at', nullable: true })
  queuedAt: Date | null;
}
