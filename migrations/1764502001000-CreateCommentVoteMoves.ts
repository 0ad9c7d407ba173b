import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCommentVoteMoves1764502001000 implements MigrationInterface {
  name = 'CreateCommentVoteMoves1764502001000';

  async up(q: QueryRunner): Promise<void> {
    // How far each network moved each comment's score in the last hour: one row per accepted vote
    // that changed the score (moves = 1, or 2 for a flip). Rows older than an hour mean nothing and
    // are pruned. No foreign keys: a row lives an hour at most, and a key on comments would add a
    // row lock on the comment to every vote.
    await q.query(`
      CREATE TABLE comment_vote_moves (
        comment_id uuid NOT NULL,
        network_hash text NOT NULL,
        article_id uuid NOT NULL,
        moves smallint NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT comment_vote_moves_moves_valid CHECK (moves IN (1, 2))
      )`);
    // The per-vote sum over one (comment, network) in the last hour.
    await q.query(
      'CREATE INDEX comment_vote_moves_lookup_idx ON comment_vote_moves (comment_id, network_hash, at)',
    );
    // The occasional prune of expired rows.
    await q.query('CREATE INDEX comment_vote_moves_at_idx ON comment_vote_moves (at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE comment_vote_moves');
  }
}
