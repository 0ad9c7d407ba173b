import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Readers' own requests for their data or its erasure: a single-use token mailed to the address
 * (only its SHA-256 is kept), and when it was used. The address is kept until the request is
 * used or expires (the link must know whose data it is); after that only its keyed hash stays,
 * so the record of an erasure does not keep what was erased.
 */
export class CreateDataRequests1764506200000 implements MigrationInterface {
  name = 'CreateDataRequests1764506200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE data_requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL,
        email text,
        email_hash text NOT NULL,
        token_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        requested_ip_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT data_requests_kind_valid CHECK (kind IN ('export', 'erase')),
        CONSTRAINT data_requests_token_unique UNIQUE (token_hash)
      )`);
    await q.query('CREATE INDEX data_requests_email_idx ON data_requests (email_hash, created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE data_requests');
  }
}
