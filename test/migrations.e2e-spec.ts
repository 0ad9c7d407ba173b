import { afterAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { migrate } from '../src/database/migrator';
import { migrations } from '../src/database/schema';
import { createTestApp, TestApp } from './support/app';
import { createTestDatabase } from './support/postgres';
import { RunningMain, startMain } from './support/process';

async function tables(ds: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await ds.query(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

describe('migrations', () => {
  it('run up, revert all the way down, and run up again', async () => {
    const url = await createTestDatabase();
    const ds = await new DataSource(
      dataSourceOptions({ kind: 'postgres', url, poolSize: 2 }),
    ).initialize();
    try {
      const applied = await migrate(ds, false);
      expect(applied).toEqual(migrations.map((m) => m.name));
      const up = await tables(ds);
      expect(up).toEqual(
        expect.arrayContaining([
          'articles',
          'admin_tokens',
          'rate_limit_buckets',
          'schema_migrations',
        ]),
      );
      expect(await migrate(ds, false)).toEqual([]);

      for (let i = 0; i < migrations.length; i++) {
        await ds.undoLastMigration({ transaction: 'each' });
      }
      // TypeORM's own bookkeeping tables are all that is left.
      expect(await tables(ds)).toEqual(['schema_migrations', 'typeorm_metadata']);
      const recorded: { n: number }[] = await ds.query(
        'SELECT count(*)::int AS n FROM typeorm_metadata',
      );
      expect(recorded[0].n).toBe(0);
      const left: { n: number }[] = await ds.query(
        'SELECT count(*)::int AS n FROM schema_migrations',
      );
      expect(left[0].n).toBe(0);
      const types: unknown[] = await ds.query(
        `SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')`,
      );
      expect(types).toEqual([]);

      expect(await migrate(ds, false)).toHaveLength(migrations.length);
      expect(await tables(ds)).toEqual(up);
    } finally {
      await ds.destroy();
    }
  });

  it('leave the foundation tables exactly as their entities describe them', async () => {
    const url = await createTestDatabase();
    const ds = await new DataSource(
      dataSourceOptions({ kind: 'postgres', url, poolSize: 2 }),
    ).initialize();
    try {
      await migrate(ds, false);
      // TypeORM reads the expressions of generated columns from its own metadata table, which
      // hand-written migrations do not fill; an empty one lets the comparison run.
      await ds.query(`CREATE TABLE IF NOT EXISTS typeorm_metadata (
        type varchar NOT NULL, database varchar, schema varchar, "table" varchar,
        name varchar, value text)`);
      const pending = await ds.driver.createSchemaBuilder().log();
      // What `npm run migration:generate` would write for articles and admin_tokens on a migrated
      // database: nothing (their entities name every constraint the migrations create).
      const changes = pending.upQueries
        .map((q) => q.query)
        .filter((q) => /"(articles|admin_tokens)(_\w+)?"/.test(q));
      expect(changes).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });
});

describe('two instances starting at once on one empty database', () => {
  const started: TestApp[] = [];
  afterAll(async () => {
    await Promise.all(started.map((t) => t.close()));
  });

  it('both come up; the seed article and the bootstrap token exist once', async () => {
    const databaseUrl = await createTestDatabase();
    const pair = await Promise.all([
      createTestApp({ ADMIN_TOKEN: '' }, { databaseUrl }),
      createTestApp({ ADMIN_TOKEN: '' }, { databaseUrl }),
    ]);
    started.push(...pair);
    for (const t of pair) {
      await request(t.http).get('/api/health').expect(200);
      await request(t.http)
        .get('/api/articles/china-seeks-partnership-with-turkey-in-combating-terrorism')
        .expect(200);
    }
    const ds = pair[0].dataSource;
    expect(await ds.query('SELECT count(*)::int AS n FROM articles')).toEqual([{ n: 1 }]);
    expect(await ds.query('SELECT name, role FROM admin_tokens')).toEqual([
      { name: 'bootstrap', role: 'admin' },
    ]);
    expect(await ds.query('SELECT count(*)::int AS n FROM schema_migrations')).toEqual([
      { n: migrations.length },
    ]);
  });
});

describe('two processes starting at once on one empty database', { timeout: 180_000 }, () => {
  const running: RunningMain[] = [];
  afterAll(() => running.forEach((m) => m.kill()));

  it('only one prints the bootstrap token, and that token works', async () => {
    const databaseUrl = await createTestDatabase();
    const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' };
    running.push(...(await Promise.all([startMain(env), startMain(env)])));
    const printed = running.flatMap((m) =>
      m
        .logs()
        .map((l) => String(l.message))
        .filter((msg) => msg.includes('bootstrap admin token')),
    );
    expect(printed).toHaveLength(1);
    const token = /: (mgadm_[\w-]+)$/.exec(printed[0])![1];
    // The instance that made it closes its start-up with one plain note: URL, mail, token.
    const notes = running
      .map((m) => m.stdout())
      .filter((out) => out.includes('Marginalia is running.'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(`Admin token: ${token}`);
    expect(notes[0]).toMatch(/Open: +http:\/\/localhost:\d+\//);
    expect(notes[0]).toMatch(/Mail: +written as \.eml files to .*\/mail\//);
    for (const m of running) {
      const ok = await fetch(`${m.url}/api/admin/articles`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(ok.status).toBe(200);
    }
    // A restart does not print it again.
    running[0].child.kill('SIGTERM');
    await running[0].exited;
    const again = await startMain(env);
    running.push(again);
    expect(again.stdout()).not.toContain('bootstrap admin token');
    expect(again.stdout()).not.toContain('Marginalia is running.');
  });
});
