'use strict';
/**
 * GET /api/articles/:slug against a bare node:http + pg server that reads the same row and
 * answers the same JSON, on the same database in the same run.
 */
const bench = require('./lib');

const SLUG = 'china-seeks-partnership-with-turkey-in-combating-terrorism';

const ARTICLE_SQL = `
  SELECT id, slug, title, summary, author, status, published_at, updated_at, comments_open,
         article_comment_count(id) AS comment_count, blocks,
         article_inline_counts(id) AS inline_counts
  FROM articles WHERE slug = $1 AND status = 'published'`;

async function readArticle(pool, slug) {
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

const part = {
  name: 'articles',
  file: __filename,
  baselineRoutes(pool, req, url) {
    const match = /^\/api\/articles\/([^/]+)$/.exec(url.pathname);
    return match && req.method === 'GET'
      ? readArticle(pool, decodeURIComponent(match[1]))
      : undefined;
  },
  async check(ctx) {
    const fromApp = await bench.getJson(`${ctx.app.url}/api/articles/${SLUG}`);
    const fromBaseline = await bench.getJson(`${ctx.baseline.url}/api/articles/${SLUG}`);
    if (fromApp.status !== 200 || fromBaseline.status !== 200) {
      throw new Error(
        `seed article not served: app ${fromApp.status}, baseline ${fromBaseline.status}`,
      );
    }
    if (JSON.stringify(fromApp.body) !== JSON.stringify(fromBaseline.body)) {
      throw new Error('the baseline does not answer the same article JSON as the app');
    }
  },
  cases: () => [
    {
      group: 'article',
      name: 'bare read of the article row',
      target: 'baseline',
      path: `/api/articles/${SLUG}`,
      readMix: true,
    },
    {
      group: 'article',
      name: 'app GET /api/articles/:slug',
      target: 'app',
      path: `/api/articles/${SLUG}`,
      readMix: true,
    },
  ],
  goals(rows) {
    const paired = bench.pairedGoals(rows, [
      [
        'article ≥ 0.6× bare read',
        'app GET /api/articles/:slug',
        'bare read of the article row',
        'rps',
        null,
        (v) => v >= 0.6,
      ],
    ]);
    bench.reportGoals(paired.goals);
    bench.printMedians(paired);
  },
};

module.exports = { part };
bench.runIfMain(module, () => bench.runSuite([part]));
