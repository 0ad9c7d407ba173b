import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The body a comment had before an edit; append-only. */
@Entity('comment_revisions')
export class CommentRevisionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'comment_id' })
  commentId: string;

  @Column('uuid', { name: 'article_id' })
  articleId: string;

  @Column('text', { name: 'body_source' })
  bodySource: string;

  @Column('text', { name: 'body_html' })
  bodyHtml: string;

  @Column('integer', { name: 'render_version' })
  renderVersion: number;

  /** "author", or the admin's name once moderators can edit. */
  @Column('text', { name: 'edited_by' })
  editedBy: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;
}
