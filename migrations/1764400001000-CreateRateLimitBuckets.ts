import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRateLimitBuckets1764400001000 implements MigrationInterface {
  name = 'CreateRateLimitBuckets1764400001000';

  async up(q: QueryRunner): Promise<void> {
    // Fixed-window counters shared by every instance; old windows are swept opportunistically.
    await q.query(`
      CREATE TABLE rate_limit_buckets (
        key text NOT NULL,
        window_start timestamptz NOT NULL,
        count integer NOT NULL,
        CONSTRAINT rate_limit_buckets_pk PRIMARY KEY (key, window_start)
      )`);
    await q.query(
      'CREATE INDEX rate_limit_buckets_window_idx ON rate_limit_buckets (window_start)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE rate_limit_buckets');
  }
}
