import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TestApp } from './support/app';
import { runTs } from './support/process';

// 200 MB was measured by hand (see README); the suite runs a smaller file on a shared machine.
const MEGABYTES = Number(process.env.IMPORT_TEST_MB ?? 6);
const FILE = join('/tmp', `marginalia-large-${process.pid}.wxr.xml`);
const COMMENTS_PER_POST = 40;
// Generous: the machine running the suite may be shared; a 200 MB run takes tens of minutes.
const TIMEOUT_MS = Math.max(900_000, MEGABYTES * 30_000);

const words = [
  'night',
  'train',
  'Zürich',
  'budget',
  'reader',
  'δημοκρατία',
  'город',
  '報道',
  'policy',
];

function comment(post: number, n: number): string {
  const id = post * 1000 + n;
  const parent = n > 0 && n % 3 === 0 ? post * 1000 + n - 1 : 0;
  const text = Array.from({ length: 60 }, (_, i) => words[(id + i) % words.length]).join(' ');
  // Every fourth body is HTML, as wpDiscuz stores formatted comments; the rest plain text.
  const body =
    n % 4 === 0
      ? `<strong>${text}</strong> <a href="https://example.org/${id}">src</a>`
      : `${text}\n\nSecond paragraph ${id}.`;
  return `<wp:comment><wp:comment_id>${id}</wp:comment_id>
<wp:comment_author><![CDATA[Reader ${id % 997}]]></wp:comment_author>
<wp:comment_author_email><![CDATA[reader${id % 997}@example.com]]></wp:comment_author_email>
<wp:comment_author_IP><![CDATA[192.0.2.${id % 250}]]></wp:comment_author_IP>
<wp:comment_date_gmt><![CDATA[2024-01-01 00:${String(n % 60).padStart(2, '0')}:00]]></wp:comment_date_gmt>
<wp:comment_content><![CDATA[${body}]]></wp:comment_content>
<wp:comment_approved><![CDATA[${n % 10 === 9 ? 'spam' : '1'}]]></wp:comment_approved>
<wp:comment_type><![CDATA[comment]]></wp:comment_type>
<wp:comment_parent>${parent}</wp:comment_parent></wp:comment>
`;
}

/** Writes a WXR of about `megabytes` MB; returns how many comments it holds. */
async function generate(
  path: string,
  megabytes: number,
): Promise<{ posts: number; comments: number }> {
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) {
      await once(out, 'drain');
    }
  };
  await write(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Large</title><link>https://large.example.org</link><wp:base_site_url>https://large.example.org</wp:base_site_url>
`);
  let bytes = 0;
  let posts = 0;
  while (bytes < megabytes * 1024 * 1024) {
    posts += 1;
    let item = `<item><title><![CDATA[Post ${posts}]]></title><wp:post_id>${posts}</wp:post_id>
<wp:post_name><![CDATA[large-post-${posts}]]></wp:post_name><wp:status><![CDATA[publish]]></wp:status>
<wp:post_type><![CDATA[post]]></wp:post_type><wp:post_date_gmt><![CDATA[2024-01-01 00:00:00]]></wp:post_date_gmt>
<content:encoded><![CDATA[<p>Body of post ${posts}.</p><p>Second paragraph.</p>]]></content:encoded>
`;
    for (let n = 0; n < COMMENTS_PER_POST; n++) {
      item += comment(posts, n);
    }
    item += '</item>\n';
    bytes += Buffer.byteLength(item);
    await write(item);
  }
  await write('</channel></rss>\n');
  out.end();
  await once(out, 'finish');
  return { posts, comments: posts * COMMENTS_PER_POST };
}

describe(`import: a generated ${MEGABYTES} MB WXR, killed mid-way and resumed`, () => {
  let t: TestApp;
  let expected: { posts: number; comments: number };

  beforeAll(async () => {
    t = await createTestApp({ SEED: 'off' });
    expected = await generate(FILE, MEGABYTES);
  }, 120_000);
  afterAll(async () => {
    await rm(FILE, { force: true });
    await t.close();
  });

  const count = async (): Promise<number> =>
    Number((await t.dataSource.query('SELECT count(*)::int AS n FROM comments'))[0].n);

  it(
    'streams in bounded memory, survives a kill -9, and ends with every comment exactly once',
    async () => {
      // A small heap: memory that grew with the file (a leak, a buffered file) would end the
      // import with an out-of-memory crash instead of a report.
      const env = {
        DATABASE_URL: t.databaseUrl,
        LOG_LEVEL: 'error',
        PATH: process.env.PATH ?? '',
        NODE_OPTIONS: '--max-old-space-size=96',
      };
      const child = spawn(
        process.execPath,
        [
          '-r',
          join(__dirname, 'support', 'register-ts.cjs'),
          join(__dirname, '..', 'src', 'cli', 'import.ts'),
          'wxr',
          FILE,
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const closed = once(child, 'close');
      // Killed without warning once some batches are in.
      for (let i = 0; i < 600 && (await count()) < 1000; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill('SIGKILL');
      await closed;
      const partial = await count();
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(expected.comments);

      const started = Date.now();
      const rerun = await runTs('src/cli/import.ts', ['wxr', FILE], env, TIMEOUT_MS);
      const seconds = (Date.now() - started) / 1000;
      expect(rerun.stderr).not.toContain('failed');
      expect(rerun.code).toBe(0);
      expect(await count()).toBe(expected.comments);
      const dupes: unknown[] = await t.dataSource.query(
        `SELECT external_id FROM import_items GROUP BY source, kind, external_id HAVING count(*) > 1`,
      );
      expect(dupes).toEqual([]);
      const articles = await t.dataSource.query('SELECT count(*)::int AS n FROM articles');
      expect(articles[0].n).toBe(expected.posts);
      const rss = Number(/peak RSS: ([\d.]+) MB/.exec(rerun.stdout)?.[1]);
      const { size } = await stat(FILE);
      console.log(
        `import of ${(size / 1024 / 1024).toFixed(1)} MB WXR (${expected.comments} comments): ` +
          `${partial} before the kill, the rest in ${seconds.toFixed(1)} s ` +
          `(${Math.round((expected.comments - partial) / seconds)} comments/s); peak RSS ${rss} MB`,
      );
      // Bounded: far below what holding the file (or its comments) in memory would take.
      expect(rss).toBeLessThan(400);
    },
    TIMEOUT_MS,
  );
});
