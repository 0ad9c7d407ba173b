import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, TestApp } from './support/app';
import { runTs } from './support/process';

const FIXTURES = join(__dirname, 'fixtures', 'import');
const WXR = readFileSync(join(FIXTURES, 'wordpress.wxr.xml'));
const DISQUS = join(FIXTURES, 'disqus.xml');
const SEED = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

interface Run {
  id: string;
  status: string;
  percent: number | null;
  report: {
    articles: { created: number; matched: number };
    comments: { imported: number; alreadyImported: number };
    skipped: Record<string, number>;
    notes: Record<string, number>;
    unmatchedThreads: { id: string; link: string; title: string }[];
  };
}

async function upload(t: TestApp, body: Buffer | string, query: string): Promise<Run> {
  const started = await request(t.http)
    .post(`/api/admin/imports?${query}`)
    .set(t.admin)
    .set('Content-Type', 'application/xml')
    .send(body)
    .expect(202);
  expect(started.headers.location).toBe(`/api/admin/imports/${started.body.id}`);
  for (let i = 0; i < 200; i++) {
    const res = await request(t.http).get(started.headers.location).set(t.admin).expect(200);
    if (res.body.status !== 'running') {
      return res.body as Run;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the import did not finish');
}

interface Row {
  id: string;
  author_name: string;
  author_email: string;
  status: string;
  parent_id: string | null;
  depth: number;
  body_source: string;
  body_html: string;
  original_html: string | null;
  created_at: Date;
  reply_count: number;
}

describe('import: WordPress (WXR) through the admin upload endpoint', () => {
  let t: TestApp;
  let first: Run;
  const rows = async (slug: string): Promise<Row[]> =>
    t.dataSource.query(
      `SELECT c.* FROM comments c JOIN articles a ON a.id = c.article_id WHERE a.slug = $1
       ORDER BY c.created_at`,
      [slug],
    );

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'none' });
    // A confirmed follower of every new comment on the seed article, before any import.
    first = await upload(t, WXR, 'format=wxr&fileName=site.xml');
  });
  afterAll(() => t.close());

  it('reports what it imported and what it skipped, and why', () => {
    expect(first.status).toBe('done');
    expect(first.percent).toBe(100);
    expect(first.report.articles).toEqual({ created: 2, matched: 0 });
    expect(first.report.comments).toEqual({ imported: 6, alreadyImported: 0 });
    expect(first.report.skipped).toEqual({ pingback: 1, 'post type attachment': 1 });
  });

  it('turns the published post into an article with its date and blocks, the draft into a draft', async () => {
    const article = await request(t.http).get('/api/articles/night-trains-return').expect(200);
    expect(article.body).toMatchObject({
      title: 'Café society: Zürich’s night trains return',
      status: 'published',
      publishedAt: '2024-03-01T09:00:00.000Z',
      commentCount: 3,
    });
    expect(article.body.blocks.map((b: { text: string }) => b.text)).toEqual([
      'The night train from Zürich to Amsterdam runs again.',
      'Tickets go on sale in April; see the timetable.',
    ]);
    await request(t.http).get('/api/articles/a-draft-about-budgets').expect(404);
    const draft: { status: string }[] = await t.dataSource.query(
      "SELECT status FROM articles WHERE slug = 'a-draft-about-budgets'",
    );
    expect(draft).toEqual([{ status: 'draft' }]);
  });

  it('keeps threads, dates, unicode authors and approval states', async () => {
    const thread = await request(t.http)
      .get('/api/articles/night-trains-return/comments?sort=oldest')
      .expect(200);
    expect(thread.body.total).toBe(3);
    expect(thread.body.items).toHaveLength(1);
    const [top] = thread.body.items;
    expect(top).toMatchObject({
      authorName: 'Jürgen Groß',
      createdAt: '2024-03-01T10:05:00.000Z',
      replyCount: 2,
    });
    expect(top.replies[0]).toMatchObject({ authorName: 'Ana <b>Reyes</b>', depth: 1 });
    expect(top.replies[0].replies[0]).toMatchObject({ authorName: '小林 さくら', depth: 2 });
    const all = await rows('night-trains-return');
    expect(Object.fromEntries(all.map((r) => [r.author_name, r.status]))).toEqual({
      'Jürgen Groß': 'approved',
      'Ana <b>Reyes</b>': 'approved',
      '小林 さくら': 'approved',
      'Cheap Pills': 'spam',
      Regretful: 'trash',
      'Waiting Walter': 'pending',
    });
    expect(all.find((r) => r.author_name === 'Jürgen Groß')!.author_email).toBe(
      'juergen@example.de',
    );
  });

  it('converts bodies to the markdown subset and sanitizes them like new comments, keeping the original', async () => {
    const all = await rows('night-trains-return');
    const jurgen = all.find((r) => r.author_name === 'Jürgen Groß')!;
    expect(jurgen.body_source).toContain('**bold**');
    expect(jurgen.body_html).toContain('<p>Endlich! Der Nachtzug ist zurück. 🚆</p>');
    expect(jurgen.body_html).toContain('<strong>bold</strong>');
    expect(jurgen.body_html).toContain('5 * 3 = 15');
    expect(jurgen.body_html).not.toContain('onclick');
    const ana = all.find((r) => r.author_name.startsWith('Ana'))!;
    expect(ana.original_html).toContain('<script>');
    for (const bad of ['<script', 'document.cookie', 'onerror', 'javascript:', '<img']) {
      expect(ana.body_html).not.toContain(bad);
    }
    expect(ana.body_html).toContain('Agreed.');
    const page = await request(t.http).get('/articles/night-trains-return').expect(200);
    expect(page.text).not.toContain('document.cookie');
    expect(page.text).toContain('Ana &lt;b&gt;Reyes&lt;/b&gt;');
  });

  it('sends no mail for imported comments', async () => {
    const mail: unknown[] = await t.dataSource.query('SELECT id FROM email_outbox');
    expect(mail).toEqual([]);
  });

  it('imports the same file again without creating anything twice', async () => {
    const again = await upload(t, WXR, 'format=wxr');
    expect(again.report.articles).toEqual({ created: 0, matched: 0 });
    expect(again.report.comments).toEqual({ imported: 0, alreadyImported: 6 });
    expect(await rows('night-trains-return')).toHaveLength(6);
    const article = await request(t.http).get('/api/articles/night-trains-return').expect(200);
    expect(article.body.commentCount).toBe(3);
  });

  it('adds only the new comments of a later export', async () => {
    const later = WXR.toString('utf8').replace(
      '</item>',
      `<wp:comment><wp:comment_id>14</wp:comment_id>
        <wp:comment_author><![CDATA[Late Larry]]></wp:comment_author>
        <wp:comment_author_email>larry@example.com</wp:comment_author_email>
        <wp:comment_date_gmt>2024-03-05 10:00:00</wp:comment_date_gmt>
        <wp:comment_content><![CDATA[Came late to this.]]></wp:comment_content>
        <wp:comment_approved>1</wp:comment_approved>
        <wp:comment_parent>9</wp:comment_parent></wp:comment></item>`,
    );
    const run = await upload(t, later, 'format=wxr');
    expect(run.report.comments).toEqual({ imported: 1, alreadyImported: 6 });
    const all = await rows('night-trains-return');
    const larry = all.find((r) => r.author_name === 'Late Larry')!;
    expect(larry.depth).toBe(3);
    const article = await request(t.http).get('/api/articles/night-trains-return').expect(200);
    expect(article.body.commentCount).toBe(4);
    const top = all.find((r) => r.author_name === 'Jürgen Groß')!;
    expect(top.reply_count).toBe(3);
  });

  it('refuses bad uploads with a 4xx and changes nothing', async () => {
    await request(t.http)
      .post('/api/admin/imports?format=csv')
      .set(t.admin)
      .set('Content-Type', 'application/xml')
      .send('<x/>')
      .expect(400);
    await request(t.http)
      .post('/api/admin/imports?format=wxr')
      .set(t.admin)
      .set('Content-Type', 'text/plain')
      .send('hello')
      .expect(415);
    await request(t.http)
      .post('/api/admin/imports?format=wxr')
      .set('Content-Type', 'application/xml')
      .send('<x/>')
      .expect(401);
    const broken = await upload(
      t,
      '<rss><channel><item><title>x</title></channel></rss>',
      'format=wxr',
    );
    expect(broken.status).toBe('failed');
    await request(t.http).get('/api/admin/imports/not-a-run').set(t.admin).expect(404);
  });
});

describe('import: Disqus through the CLI', () => {
  let t: TestApp;
  // No HASH_SECRET: the CLI must hash with the secret the app generated and stored.
  const env = () => ({ DATABASE_URL: t.databaseUrl, LOG_LEVEL: 'error' });

  beforeAll(async () => {
    t = await createTestApp();
    // A confirmed follower of the seed article: imported comments must not mail them.
    await t.dataSource.query(
      `INSERT INTO subscriptions (id, kind, email, email_key, article_id, status,
         unsubscribe_token_hash, consent_at, consent_source, consent_text_version, confirmed_at)
       SELECT gen_random_uuid(), 'followups', 'fan@example.com', 'fan@example.com', id,
         'confirmed', 'x', now(), 'test', '1', now() FROM articles WHERE slug = $1`,
      [SEED],
    );
  });
  afterAll(() => t.close());

  it('matches threads to articles by slug, reports the unmatched one, keeps parents and flags', async () => {
    const run = await runTs('src/cli/import.ts', ['disqus', DISQUS], env(), 60_000);
    expect(run.stderr).toMatch(/\[#+\]\s+100\.0% .* comments \+5/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('comments: 5 imported');
    expect(run.stdout).toContain('skipped: 1 × post of an unmatched thread');
    expect(run.stdout).toContain(
      'unmatched thread 5002: https://old.example.org/2023/07/a-story-that-never-moved/',
    );
    expect(run.stdout).toMatch(/peak RSS: [\d.]+ MB/);

    const thread = await request(t.http)
      .get(`/api/articles/${SEED}/comments?sort=oldest`)
      .expect(200);
    const first = thread.body.items.find(
      (c: { authorName: string }) => c.authorName === 'First Poster',
    );
    expect(first.bodyHtml).toContain('<strong>Bold</strong>');
    expect(first.bodyHtml).not.toContain('script');
    expect(first.bodyHtml).not.toContain('alert');
    expect(first.replies.map((r: { authorName: string }) => r.authorName).sort()).toEqual([
      'Second',
      'Ольга',
    ]);
    const states: { author_name: string; status: string }[] = await t.dataSource.query(
      "SELECT author_name, status FROM comments WHERE 'imported' = ANY(reasons) ORDER BY author_name",
    );
    expect(states).toEqual([
      { author_name: 'First Poster', status: 'approved' },
      { author_name: 'Gone', status: 'trash' },
      { author_name: 'Prize', status: 'spam' },
      { author_name: 'Second', status: 'approved' },
      { author_name: 'Ольга', status: 'approved' },
    ]);
    const mail: unknown[] = await t.dataSource.query('SELECT id FROM email_outbox');
    expect(mail).toEqual([]);
    // Hashed with the app's own secret: the address's data-rights export finds the comment.
    const person = await request(t.http)
      .get('/api/admin/people/first%40example.com/export')
      .set(t.admin)
      .expect(200);
    expect(person.body.comments).toHaveLength(1);
  });

  it('creates an article for the unmatched thread when asked, and imports nothing twice', async () => {
    const run = await runTs(
      'src/cli/import.ts',
      ['disqus', DISQUS, '--create-articles'],
      env(),
      60_000,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('articles: 1 created');
    expect(run.stdout).toContain('comments: 1 imported');
    expect(run.stdout).toContain('5 already imported');
    const article = await request(t.http).get('/api/articles/a-story-that-never-moved').expect(200);
    expect(article.body.title).toBe('A story that never moved — “quoted”');
    expect(article.body.commentCount).toBe(1);
  });

  it('explains a missing file or a bad format in one line', async () => {
    const missing = await runTs('src/cli/import.ts', ['wxr', '/nonexistent.xml'], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('import failed');
    const usage = await runTs('src/cli/import.ts', ['csv', DISQUS], env());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage:');
    expect(ADMIN_TOKEN).toBeTruthy();
  });
});

describe('import: a file over IMPORT_MAX_MB', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ IMPORT_MAX_MB: '1' });
  });
  afterAll(() => t.close());

  it('is a 413 that records no run, and the app keeps serving', async () => {
    const big = `<rss>${' '.repeat(1536 * 1024)}</rss>`;
    const res = await request(t.http)
      .post('/api/admin/imports?format=wxr')
      .set(t.admin)
      .set('Content-Type', 'application/xml')
      .send(big);
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/at most 1048576 bytes/);
    // The refused upload's access log line must not throw once its socket is gone.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await t.dataSource.query('SELECT id FROM import_runs')).toEqual([]);
    await request(t.http).get('/api/health').expect(200);
  });
});
