import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Imports from WordPress (WXR) and Disqus: the original HTML of an imported comment is kept next
 * to the markdown it was converted to; every imported item is recorded under its source and
 * external id (the ledger that makes a re-import add only what is new); every run is reported.
 */
export class CreateImportLedger1764506000000 implements MigrationInterface {
  name = 'CreateImportLedger1764506000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE comments ADD COLUMN original_html text');
    await q.query(`
      CREATE TABLE import_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        format text NOT NULL,
        file_name text NOT NULL,
        status text NOT NULL DEFAULT 'running',
        bytes_total bigint,
        bytes_read bigint NOT NULL DEFAULT 0,
        report jsonb NOT NULL DEFAULT '{}',
        error text,
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CONSTRAINT import_runs_format_valid CHECK (format IN ('wxr', 'disqus')),
        CONSTRAINT import_runs_status_valid CHECK (status IN ('running', 'done', 'failed'))
      )`);
    // One row per imported article or comment; source names the exporting site.
    await q.query(`
      CREATE TABLE import_items (
        source text NOT NULL,
        kind text NOT NULL,
        external_id text NOT NULL,
        local_id uuid NOT NULL,
        run_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT import_items_pk PRIMARY KEY (source, kind, external_id),
        CONSTRAINT import_items_kind_valid CHECK (kind IN ('article', 'comment')),
        CONSTRAINT import_items_run_fk FOREIGN KEY (run_id)
          REFERENCES import_runs (id) ON DELETE SET NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE import_items');
    await q.query('DROP TABLE import_runs');
    await q.query('ALTER TABLE comments DROP COLUMN original_html');
  }
}
