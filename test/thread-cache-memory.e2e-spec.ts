import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/postgres';
import { RunningMain, startMain } from './support/process';

const BUDGET = 16 * 1024 * 1024;
const COMMENTS = 500;
const REQUESTS = 1500;
/** What the process may grow by besides the cache: heap headroom the GC keeps, buffers, code. */
const SLACK = 64 * 1024 * 1024;

/** Resident set size of a process, from /proc (Linux). */
function rssOf(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line![1]) * 1024;
}

/**
 * Issue 9, point 1: an article with 500 comments of ~9 KB, then a different well-formed cursor on
 * every request of `?limit=100`. On main the thread cache kept one entry per cursor (counting
 * entries, keeping expired ones): RSS grew by ~4 MB a request and the process died of heap
 * exhaustion. Here the cache's byte budget holds, whatever the client asks for.
 */
describe('the thread cache under distinct cursors (real process)', { timeout: 300_000 }, () => {
  let main: RunningMain;
  let slug: string;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const adminToken = 'a'.repeat(32);
    main = await startMain({
      DATABASE_URL: databaseUrl,
      ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'error',
      THREAD_CACHE_MS: '60000',
      THREAD_CACHE_BYTES: String(BUDGET),
      // A container-sized heap: V8 then collects garbage instead of growing into spare memory,
      // so what stays resident is what the process holds on to.
      NODE_OPTIONS: '--max-old-space-size=256',
    });
    const created = await fetch(`${main.url}/api/admin/articles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Memory', body: 'A large thread.', status: 'published' }),
    });
    expect(created.status).toBe(201);
    const article = (await created.json()) as { id: string; slug: string };
    slug = article.slug;
    // Seeded in SQL: 500 POSTs would measure the posting path, not the cache.
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await db.query(
        `INSERT INTO comments (id, article_id, root_id, author_name, author_email,
           author_email_hash, body_source, body_html, render_version, status, reasons,
           edit_token_hash, editable_until, created_at)
         SELECT id, $1, id, 'Reader ' || ord, 'r' || ord || '@example.com', 'hash-' || ord,
           repeat('word ', 1800), '<p>' || repeat('word ', 1800) || ord || '</p>', 2, 'approved',
           '{}', 'x', now(), now() - (ord || ' seconds')::interval
         FROM (SELECT gen_random_uuid() AS id, ord FROM generate_series(1, $2::int) AS ord) s`,
        [article.id, COMMENTS],
      );
    } finally {
      await db.end();
    }
  });
  afterAll(() => main?.kill());

  async function page(cursor: string): Promise<number> {
    const res = await fetch(
      `${main.url}/api/articles/${slug}/comments?limit=100&cursor=${encodeURIComponent(cursor)}`,
    );
    const body = (await res.json()) as { items: unknown[] };
    expect(res.status).toBe(200);
    return body.items.length;
  }

  it('keeps RSS within the byte budget plus a constant, and the process lives', async () => {
    // Every cursor is distinct and well formed, and each points above the newest comment, so
    // each answer is a full page of 100 comments (~900 KB of JSON).
    const future = Date.now() + 86_400_000;
    const cursor = (i: number) =>
      Buffer.from(
        JSON.stringify([
          0,
          new Date(future + i).toISOString(),
          '00000000-0000-4000-8000-000000000000',
        ]),
      ).toString('base64url');
    for (let i = 0; i < 20; i += 1) {
      expect(await page(cursor(-1 - i))).toBe(100);
    }
    const before = rssOf(main.child.pid!);
    let peak = before;
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next;
        next += 1;
        expect(await page(cursor(i))).toBe(100);
        if (i % 50 === 0) {
          peak = Math.max(peak, rssOf(main.child.pid!));
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    peak = Math.max(peak, rssOf(main.child.pid!));
    const health = await fetch(`${main.url}/api/health`);
    expect(health.status).toBe(200);
    const growth = peak - before;
    process.stdout.write(
      `thread cache: RSS ${Math.round(before / 2 ** 20)} MB before, peak ${Math.round(peak / 2 ** 20)} MB ` +
        `after ${REQUESTS} distinct cursors (growth ${Math.round(growth / 2 ** 20)} MB, budget ` +
        `${BUDGET / 2 ** 20} MB)\n`,
    );
    expect(growth).toBeLessThan(BUDGET + SLACK);
  });
});
