import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-submit guard as a claim: posting a body takes the row keyed by (article, address,
 * body), and a second post of it within the window finds the claim taken. The upsert's row lock
 * settles two identical posts racing each other inside the posting statement itself, where the
 * old guard needed an advisory lock held across a transaction. Old claims are swept as they age.
 */
export class CreateCommentBodyClaims1764510001000 implements MigrationInterface {
  name = 'CreateCommentBodyClaims1764510001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE comment_body_claims (
        key text NOT NULL,
        claimed_at timestamptz NOT NULL,
        CONSTRAINT comment_body_claims_pkey PRIMARY KEY (key)
      )`);
    await q.query('CREATE INDEX comment_body_claims_age_idx ON comment_body_claims (claimed_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE comment_body_claims');
  }
}
