import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createEmbeddedTestApp } from './support/app';
import { runTs } from './support/process';

const SEED_SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

describe('embedded PGlite (no DATABASE_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'marginalia-pglite-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves the seed article, keeps it and edits across a restart', async () => {
    const first = await createEmbeddedTestApp(dataDir);
    let ids: string[];
    let editedIds: string[];
    try {
      expect(first.config.database).toEqual({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
      await request(first.http).get('/api/health').expect(200, { status: 'ok', db: 'up' });
      const article = await request(first.http).get(`/api/articles/${SEED_SLUG}`).expect(200);
      expect(article.body.blocks).toHaveLength(23);
      ids = article.body.blocks.map((b: { id: string }) => b.id);
      const page = await request(first.http).get('/').expect(200);
      expect(page.text).toContain('China seeks partnership with Turkey in combating terrorism');
      // Writes and transactions work too: an edit that moves a paragraph keeps its id.
      const created = await request(first.http)
        .post('/api/admin/articles')
        .set(first.admin)
        .send({ title: 'Local', body: 'One.\n\nTwo.', status: 'published' })
        .expect(201);
      const edited = await request(first.http)
        .patch('/api/admin/articles/local')
        .set(first.admin)
        .send({ body: 'Two.\n\nOne.\n\nThree.' })
        .expect(200);
      editedIds = edited.body.blocks.map((b: { id: string }) => b.id);
      expect(editedIds.slice(0, 2)).toEqual(
        [...created.body.blocks].reverse().map((b: { id: string }) => b.id),
      );
    } finally {
      await first.close();
    }
    expect(existsSync(join(dataDir, 'pglite'))).toBe(true);

    const second = await createEmbeddedTestApp(dataDir);
    try {
      const again = await request(second.http).get(`/api/articles/${SEED_SLUG}`).expect(200);
      expect(again.body.blocks.map((b: { id: string }) => b.id)).toEqual(ids);
      const local = await request(second.http).get('/api/articles/local').expect(200);
      expect(local.body.blocks.map((b: { id: string }) => b.id)).toEqual(editedIds);
      const list = await request(second.http).get('/api/articles').expect(200);
      expect(list.body.items).toHaveLength(2);
      // Not seeded twice, and migrations were not re-applied.
      expect(await second.dataSource.query('SELECT count(*)::int AS n FROM articles')).toEqual([
        { n: 2 },
      ]);
    } finally {
      await second.close();
    }
  }, 180_000);
});

describe('embedded PGlite is one process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'marginalia-pglite-lock-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('the admin CLI refuses a directory the running app holds, and works once it is free', async () => {
    const app = await createEmbeddedTestApp(dataDir);
    try {
      const refused = await runTs('src/cli/admin.ts', ['token', 'list'], { DATA_DIR: dataDir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`is in use by process ${process.pid}`);
    } finally {
      await app.close();
    }
    // A lock left by a process that is gone is taken over.
    writeFileSync(join(dataDir, 'pglite.lock'), '999999999');
    const free = await runTs(
      'src/cli/admin.ts',
      ['token', 'create', '--name', 'x', '--role', 'admin'],
      {
        DATA_DIR: dataDir,
      },
    );
    expect(free.stderr).toBe('created admin token "x"; it is shown only this once\n');
    expect(free.code).toBe(0);
  }, 180_000);
});
