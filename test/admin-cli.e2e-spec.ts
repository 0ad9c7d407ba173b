import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';
import { runTs } from './support/process';

describe('admin CLI (npm run admin -- token …)', () => {
  let t: TestApp;
  const cli = (...args: string[]) =>
    runTs('src/cli/admin.ts', args, { DATABASE_URL: t.databaseUrl });

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates an admin token that works against the API, lists it, and revokes it', async () => {
    const created = await cli('token', 'create', '--name', 'alice', '--role', 'admin');
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^mgadm_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('created admin token "alice"');
    const auth = { Authorization: `Bearer ${token}` };
    await request(t.http)
      .post('/api/admin/articles')
      .set(auth)
      .send({ title: 'From the CLI token', body: 'Hi.' })
      .expect(201);

    const listed = await cli('token', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^alice\tadmin\tlive$/m);
    expect(listed.stdout).not.toContain(token);

    const revoked = await cli('token', 'revoke', '--name', 'alice');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe('revoked "alice"\n');
    await request(t.http).get('/api/admin/articles').set(auth).expect(401);
    expect((await cli('token', 'list')).stdout).toMatch(/^alice\tadmin\trevoked \d{4}-/m);
  });

  it('creates a moderator token that is refused on article routes (403)', async () => {
    const created = await cli('token', 'create', '--name', 'mo', '--role', 'moderator');
    expect(created.code).toBe(0);
    await request(t.http)
      .get('/api/admin/articles')
      .set({ Authorization: `Bearer ${created.stdout.trim()}` })
      .expect(403);
  });

  it('refuses a second live token of the same name', async () => {
    expect((await cli('token', 'create', '--name', 'bob', '--role', 'admin')).code).toBe(0);
    const again = await cli('token', 'create', '--name', 'bob', '--role', 'admin');
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('a live token named "bob" exists already');
  });

  it.each([
    [['token', 'create', '--name', 'x', '--role', 'root'], '--role must be admin or moderator'],
    [['token', 'create', '--role', 'admin'], '--name is required'],
    [['token', 'create', '--name', 'bad name!', '--role', 'admin'], '--name is required'],
    [['token', 'revoke', '--name', 'nobody'], 'no live token named "nobody"'],
    [['token', 'explode'], 'usage:'],
    [[], 'usage:'],
  ])('%j exits 2 with a clear message', async (args, message) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('reports a bad configuration in one line', async () => {
    const run = await runTs('src/cli/admin.ts', ['token', 'list'], { DATABASE_URL: 'nonsense' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('configuration error: DATABASE_URL');
  });
});
