'use strict';
/**
 * GET /api/articles/:slug on the built app against a minimal node:http + pg server that reads the
 * same row and answers the same JSON shape, in the same run, on the same database.
 * Knobs: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 32).
 */
const bench = require('./lib');

const SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

const ARTICLE_SQL = `
  SELECT id, slug, title, summary, author, status, published_at, updated_at, comments_open,
         comment_count, blocks, inline_counts
  FROM articles WHERE slug = $1 AND status = 'published'`;

async function readArticle(pool, _req, url) {
  const slug = decodeURIComponent(url.pathname.split('/').pop());
  const { rows } = await pool.query(ARTICLE_SQL, [slug]);
  const a = rows[0];
  if (!a) {
    return {
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'article not found' },
    };
  }
  return {
    body: {
      id: a.id,
      slug: a.slug,
      title: a.title,
      summary: a.summary,
      author: a.author,
      status: a.status,
      publishedAt: a.published_at && a.published_at.toISOString(),
      updatedAt: a.updated_at.toISOString(),
      commentsOpen: a.comments_open,
      commentCount: a.comment_count,
      blocks: a.blocks.map((b) => ({
        id: b.id,
        type: b.type,
        html: b.html,
        text: b.text,
        inlineCount: a.inline_counts[b.id] || 0,
      })),
    },
  };
}

async function run() {
  const duration = Number(process.env.BENCH_SECONDS || 10);
  const connections = Number(process.env.BENCH_CONNECTIONS || 32);
  const db = await bench.createDatabase();
  let app;
  let baseline;
  try {
    app = await bench.startApp({ databaseUrl: db.url });
    baseline = await bench.startBaseline({ databaseUrl: db.url, handler: readArticle });
    const fromApp = await bench.getJson(`${app.url}/api/articles/${SLUG}`);
    const fromBaseline = await bench.getJson(`${baseline.url}/api/articles/${SLUG}`);
    if (fromApp.status !== 200 || fromBaseline.status !== 200) {
      throw new Error(
        `seed article not served: app ${fromApp.status}, baseline ${fromBaseline.status}`,
      );
    }
    if (JSON.stringify(fromApp.body) !== JSON.stringify(fromBaseline.body)) {
      throw new Error('the baseline does not answer the same JSON as the app');
    }
    const rows = [];
    rows.push(
      await bench.load({
        name: 'baseline node:http + pg',
        url: `${baseline.url}/api/articles/${SLUG}`,
        connections,
        duration,
      }),
    );
    rows.push(
      await bench.load({
        name: 'marginalia GET /api/articles/:slug',
        url: `${app.url}/api/articles/${SLUG}`,
        connections,
        duration,
      }),
    );
    bench.printTable(
      rows,
      'baseline node:http + pg',
      `GET /api/articles/:slug, ${connections} connections, ${duration} s each`,
    );
    return rows;
  } finally {
    await baseline?.close();
    await app?.stop();
    await db.drop();
  }
}

module.exports = run;
bench.runIfMain(module, run);
