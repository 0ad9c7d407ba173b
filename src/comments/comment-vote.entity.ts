import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One voter's vote on one comment; a vote of 0 is the absence of a row. */
@Entity('comment_votes')
export class CommentVoteEntity {
  @PrimaryColumn('uuid', { name: 'comment_id' })
  commentId: string;

  /** Keyed hash of the X-Voter-Id header, never the raw value. */
  @PrimaryColumn('text', { name: 'voter_key' })
  voterKey: string;

  @Column('uuid', { name: 'article_id' })
  articleId: string;

  @Column('smallint')
  value: 1 | -1;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}
