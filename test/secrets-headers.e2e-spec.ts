import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { hashPersonal } from '../src/common/tokens';
import { emailHash } from '../src/comments/post-comment.service';
import { loadConfig } from '../src/config/app-config';
import { ADMIN_TOKEN, createTestApp, TestApp } from './support/app';
import { createTestDatabase } from './support/postgres';
import { createArticle, postComment } from './factories/comments';

/** Issue 9 §11: secrets, transport headers, the auth scheme and the body's charset. */
describe('HASH_SECRET has no public default', () => {
  let databaseUrl: string;
  let first: TestApp;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    first = await createTestApp({}, { databaseUrl });
  });
  afterAll(() => first.close());

  it('a moderator-visible ip hash cannot be reversed with the former default', async () => {
    const article = await createArticle(first);
    const posted = await postComment(first, article.slug);
    const [row] = await first.dataSource.query(
      'SELECT ip_hash, author_email, author_email_hash FROM comments WHERE id = $1',
      [posted.comment.id],
    );
    const ip = '::ffff:127.0.0.1';
    // On main the secret was 'marginalia': these two hashes matched, so the 4 billion IPv4
    // addresses could be tried in seconds.
    expect(row.ip_hash).not.toBe(hashPersonal(`ip:${ip}`, 'marginalia'));
    expect(row.ip_hash).not.toBe(hashPersonal('ip:127.0.0.1', 'marginalia'));
    expect(row.author_email_hash).not.toBe(emailHash(row.author_email, 'marginalia'));
    expect(first.config.hashSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('is generated once and shared through the database by instances starting at once', async () => {
    const [a, b] = await Promise.all([
      createTestApp({}, { databaseUrl }),
      createTestApp({}, { databaseUrl }),
    ]);
    try {
      expect(a.config.hashSecret).toBe(first.config.hashSecret);
      expect(b.config.hashSecret).toBe(first.config.hashSecret);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    const rows: unknown[] = await first.dataSource.query(
      "SELECT 1 FROM token_secrets WHERE purpose = 'hash'",
    );
    expect(rows).toHaveLength(1);
  });

  it('a configured HASH_SECRET wins, and a short one refuses to boot', async () => {
    const configured = 'c'.repeat(40);
    const app = await createTestApp({ HASH_SECRET: configured });
    try {
      expect(app.config.hashSecret).toBe(configured);
    } finally {
      await app.close();
    }
    expect(() => loadConfig({ HASH_SECRET: 'marginalia' })).toThrow(/HASH_SECRET/);
  });

  it('an install that ran with the old default keeps its author lookups', async () => {
    const url = await createTestDatabase();
    const old = await createTestApp({ HASH_SECRET: 'x'.repeat(32) }, { databaseUrl: url });
    const article = await createArticle(old);
    const posted = await postComment(old, article.slug, { authorEmail: 'Old.Reader@Example.com' });
    await old.dataSource.query('UPDATE comments SET author_email_hash = $2 WHERE id = $1', [
      posted.comment.id,
      emailHash('Old.Reader@Example.com', 'marginalia'),
    ]);
    await old.close();
    const upgraded = await createTestApp({}, { databaseUrl: url });
    try {
      const [row] = await upgraded.dataSource.query(
        'SELECT author_email_hash FROM comments WHERE id = $1',
        [posted.comment.id],
      );
      expect(row.author_email_hash).toBe(
        emailHash('old.reader@example.com', upgraded.config.hashSecret),
      );
      const found = await request(upgraded.http)
        .get(`/api/admin/people/${encodeURIComponent('old.reader@example.com')}/export`)
        .set(upgraded.admin);
      expect(found.status).toBe(200);
      expect(JSON.stringify(found.body)).toContain(posted.comment.id);
    } finally {
      await upgraded.close();
    }
  });
});

describe('transport headers follow PUBLIC_URL', () => {
  it('http: no HSTS and no upgrade-insecure-requests', async () => {
    const t = await createTestApp({ PUBLIC_URL: 'http://marginalia.test' });
    try {
      const res = await request(t.http).get('/api/health');
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    } finally {
      await t.close();
    }
  });

  it('https: HSTS and upgrade-insecure-requests', async () => {
    const t = await createTestApp({ PUBLIC_URL: 'https://news.example' });
    try {
      const res = await request(t.http).get('/api/health');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
      expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    } finally {
      await t.close();
    }
  });
});

describe('the edge of the admin API', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('the scheme %s is accepted', async (scheme) => {
    const res = await request(t.http)
      .get('/api/admin/articles')
      .set('Authorization', `${scheme} ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
  });

  it('the token itself stays case-sensitive', async () => {
    const res = await request(t.http)
      .get('/api/admin/articles')
      .set('Authorization', `Bearer ${ADMIN_TOKEN.toUpperCase()}`);
    expect(res.status).toBe(401);
  });

  it.each(['latin1', 'ISO-8859-1', 'utf-16le', 'windows-1252', 'bogus'])(
    'a JSON body declared charset=%s is a 415 that says so, and creates nothing',
    async (charset) => {
      const res = await request(t.http)
        .post('/api/admin/articles')
        .set(t.admin)
        .set('Content-Type', `application/json; charset=${charset}`)
        .send(JSON.stringify({ title: 'Charset', slug: 'charset-test', body: 'Text.' }));
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
      expect((res.body as { message: string }).message).toMatch(/UTF-8/);
      expect((res.body as { message: string }).message.toLowerCase()).toContain(
        charset.toLowerCase(),
      );
      const after = await request(t.http).get('/api/admin/articles/charset-test').set(t.admin);
      expect(after.status).toBe(404);
    },
  );

  it('charset=utf-8 (any case) is fine', async () => {
    const res = await request(t.http)
      .post('/api/admin/articles')
      .set(t.admin)
      .set('Content-Type', 'application/json; charset=UTF-8')
      .send(JSON.stringify({ title: 'Charset ok', slug: 'charset-ok', body: 'Text.' }));
    expect(res.status).toBe(201);
  });
});
