import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * TypeORM keeps the expressions of generated columns in its own `typeorm_metadata` table (it
 * creates the table itself at start-up) and compares them when it inspects the schema
 * (`migration:generate`); this records the comments table's `score`.
 */
export class RecordGeneratedColumns1764401900000 implements MigrationInterface {
  name = 'RecordGeneratedColumns1764401900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS typeorm_metadata (
        type varchar NOT NULL,
        database varchar,
        schema varchar,
        "table" varchar,
        name varchar,
        value text
      )`);
    await q.query(
      `INSERT INTO typeorm_metadata (type, database, schema, "table", name, value)
       VALUES ('GENERATED_COLUMN', current_database(), current_schema(), 'comments', 'score', 'up_count - down_count')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DELETE FROM typeorm_metadata
       WHERE type = 'GENERATED_COLUMN' AND "table" = 'comments' AND name = 'score'`,
    );
  }
}
