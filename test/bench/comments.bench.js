'use strict';
/**
 * The comment thread under load. One database holds 100,000 comments: an article with 10,000 (a
 * quarter of them replies, some anchored to passages), an article with 100, and the rest spread
 * over 100 other articles. The app (thread cache off) is measured against a bare node:http + pg
 * server that reads the same page with ONE SQL query and inserts a comment with one statement:
 *   - GET the first page (20 top-level comments with their replies, newest first)
 *   - GET a page deep in the cursor chain (page 301 of 375)
 *   - the first page of the 100-comment article ("cost must not grow with the thread")
 *   - POST a comment: distinct authors, bodies and client addresses, rate limits on, with
 *     MODERATION=none and MODERATION=first, and on the 100-comment article (cost must not grow
 *     with the thread either)
 */
const bench = require('./lib');

const BIG = 'bench-thread-big';
const SMALL = 'bench-thread-small';
const TOTAL = 100_000;
const BIG_COUNT = 10_000;
const SMALL_COUNT = 100;
const FILLER_ARTICLES = 100;
const CAP = 50;
const CACHED = 'app GET comments, first page (THREAD_CACHE_MS=1000)';
const BARE_PAGE = 'bare read of a page of 20 threads';
const FIRST_OFF = 'app GET comments, first page (cache off)';
const SMALL_OFF = 'app GET comments, 100-comment article';
const BARE_DEEP = 'bare read of page 301 of 375';
const DEEP_OFF = 'app GET comments, page 301 (cache off)';
const BARE_INSERT = 'bare node:http + pg insert';
const POST_NONE = 'app POST comment, MODERATION=none';
const POST_SMALL = 'app POST comment, 100-comment article';
const POST_FIRST = 'app POST comment, MODERATION=first';

const BODY = Array.from(
  { length: 6 },
  (_, i) => `Paragraph ${i + 1} of the benchmark article, with enough words to quote from it.`,
).join('\n\n');

async function createArticle(app, slug, attempt = 1) {
  let res;
  try {
    res = await fetch(`${app.url}/api/admin/articles`, {
      method: 'POST',
      headers: { ...app.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ title: slug, slug, body: BODY, status: 'published' }),
    });
  } catch (error) {
    // Seen once in a while on this loaded machine: the connection reset before an answer.
    if (attempt >= 3) {
      throw error;
    }
    process.stdout.write(`creating ${slug} failed (${error.cause?.code ?? error}); again\n`);
    await bench.sleep(500);
    return createArticle(app, slug, attempt + 1);
  }
  if (res.status !== 201) {
    throw new Error(`creating ${slug}: ${res.status} ${await res.text()}`);
  }
  return res.json();
}

/**
 * Inserts `count` comments on one article: every 10th top-level one anchored to a passage, and a
 * quarter of them replies, one under every third top-level comment, so each page carries some.
 */
async function seedThread(client, articleId, blockIds, count, startSecond) {
  const top = Math.round(count * 0.75);
  const replies = count - top;
  await client.query(
    `INSERT INTO comments (id, article_id, root_id, depth, path, author_name, author_email,
       author_email_hash, body_source, body_html, render_version, status, edit_token_hash,
       editable_until, created_at, approved_at, anchor_block_id, anchor_quote, anchor_state,
       up_count, down_count)
     SELECT u, $1, u, 0, '{}', 'Reader ' || g, 'reader' || g || '@example.com', md5('e' || g),
       'Comment **' || g || '**', '<p>Comment <strong>' || g || '</strong></p>' || chr(10), 1,
       'approved', md5('t' || g), ts, ts, ts,
       CASE WHEN g % 10 = 0 THEN ($3::text[])[1 + g % cardinality($3::text[])] END,
       CASE WHEN g % 10 = 0 THEN '{"exact":"benchmark article"}'::jsonb END,
       CASE WHEN g % 10 = 0 THEN 'anchored' END,
       (g * 7) % 11, (g * 3) % 5
     FROM (SELECT g, gen_random_uuid() AS u,
             timestamptz '2026-01-01' + ($4 + g) * interval '1 second' AS ts
           FROM generate_series(1, $2) g) s`,
    [articleId, top, blockIds, startSecond],
  );
  await client.query(
    `INSERT INTO comments (id, article_id, parent_id, root_id, depth, path, author_name,
       author_email, author_email_hash, body_source, body_html, render_version, status,
       edit_token_hash, editable_until, created_at, approved_at)
     SELECT gen_random_uuid(), $1, t.id, t.id, 1, ARRAY[t.id], 'Replier ' || g,
       'replier' || g || '@example.com', md5('r' || g), 'Reply ' || g,
       '<p>Reply ' || g || '</p>' || chr(10), 1, 'approved', md5('rt' || g),
       t.created_at + g * interval '1 millisecond', t.created_at + g * interval '1 millisecond',
       t.created_at + g * interval '1 millisecond'
     FROM generate_series(1, $2) g
     JOIN (SELECT id, created_at, row_number() OVER (ORDER BY created_at) AS rn FROM comments
           WHERE article_id = $1 AND parent_id IS NULL) t
       ON t.rn = 1 + (g * 3) % $3`,
    [articleId, replies, top],
  );
  await client.query(
    `UPDATE comments c SET reply_count = n FROM (
       SELECT parent_id, count(*)::int AS n FROM comments WHERE article_id = $1 AND parent_id IS NOT NULL
       GROUP BY parent_id) r WHERE c.id = r.parent_id`,
    [articleId],
  );
  await client.query(
    `INSERT INTO article_counts (article_id, block_id, shard, n)
     SELECT $1, '', 0, count(*) FROM comments WHERE article_id = $1
     UNION ALL
     SELECT $1, anchor_block_id, 0, count(*)::int FROM comments
      WHERE article_id = $1 AND anchor_state = 'anchored' GROUP BY anchor_block_id`,
    [articleId],
  );
}

async function seedFiller(client, count) {
  await client.query(
    `INSERT INTO articles (slug, title, summary, body_source, blocks, status, published_at)
     SELECT 'filler-' || g, 'Filler ' || g, '', 'x', '[]', 'published', now()
     FROM generate_series(1, $1) g`,
    [FILLER_ARTICLES],
  );
  await client.query(
    `WITH ids AS (SELECT array_agg(id) AS a FROM articles WHERE slug LIKE 'filler-%')
     INSERT INTO comments (id, article_id, root_id, depth, path, author_name, author_email,
       author_email_hash, body_source, body_html, render_version, status, edit_token_hash,
       editable_until, created_at, approved_at)
     SELECT u, ids.a[1 + g % cardinality(ids.a)], u, 0, '{}', 'Filler ' || g,
       'filler' || g || '@example.com', md5('f' || g), 'Filler ' || g, '<p>Filler</p>', 1,
       'approved', md5('ft' || g), ts, ts, ts
     FROM ids, (SELECT g, gen_random_uuid() AS u,
                  timestamptz '2025-01-01' + g * interval '1 second' AS ts
                FROM generate_series(1, $1) g) s`,
    [count],
  );
}

// ---- the baseline: the same page in one SQL statement ---------------------------------------

const COLUMNS = `c.id, c.parent_id, c.root_id, c.depth, c.author_name, c.body_html, c.created_at,
  c.edited_at, c.status, c.anchor_block_id, c.anchor_quote, c.anchor_state, c.pinned, c.up_count,
  c.down_count, c.reply_count,
  to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time`;
const VISIBLE = `c.status IN ('approved', 'deleted') AND (c.status = 'approved' OR c.reply_count > 0)`;

const PAGE_SQL = (withCursor) => `
  WITH a AS (SELECT id, article_comment_count(id) AS comment_count FROM articles
             WHERE slug = $1 AND status = 'published'),
  page AS (
    SELECT ${COLUMNS} FROM comments c
    WHERE c.article_id = (SELECT id FROM a) AND c.parent_id IS NULL AND ${VISIBLE}
      ${withCursor ? 'AND (c.created_at, c.id) < ($3::timestamptz, $4::uuid)' : ''}
    ORDER BY c.created_at DESC, c.id DESC LIMIT $2)
  SELECT 0 AS part, (SELECT comment_count FROM a) AS total, page.* FROM page
  UNION ALL
  SELECT 1, NULL, r.* FROM page p CROSS JOIN LATERAL (
    SELECT ${COLUMNS} FROM comments c
    WHERE c.root_id = p.id AND c.parent_id IS NOT NULL AND ${VISIBLE}
    ORDER BY c.created_at, c.id LIMIT ${CAP + 1}) r`;

function node(r) {
  const deleted = r.status === 'deleted';
  return {
    id: r.id,
    parentId: r.parent_id,
    depth: r.depth,
    authorName: deleted ? null : r.author_name,
    bodyHtml: deleted ? null : r.body_html,
    createdAt: r.created_at.toISOString(),
    editedAt: r.edited_at && r.edited_at.toISOString(),
    status: r.status,
    anchor: r.anchor_block_id
      ? { blockId: r.anchor_block_id, quote: r.anchor_quote, state: r.anchor_state }
      : null,
    pinned: r.pinned,
    votes: { up: r.up_count, down: r.down_count, score: r.up_count - r.down_count },
    replyCount: r.reply_count,
    replies: [],
    moreReplies: false,
  };
}

async function baselineHandler(pool, req, url) {
  const match = /^\/api\/articles\/([^/]+)\/comments$/.exec(url.pathname);
  if (!match) {
    return undefined;
  }
  const slug = decodeURIComponent(match[1]);
  if (req.method === 'POST') {
    const input = JSON.parse(req.rawBody);
    const { rows } = await pool.query(
      `WITH a AS (SELECT id FROM articles WHERE slug = $1 AND status = 'published'),
       counted AS (INSERT INTO article_counts (article_id, block_id, shard, n)
                   SELECT id, '', floor(random() * 16), 1 FROM a
                   ON CONFLICT (article_id, block_id, shard)
                   DO UPDATE SET n = article_counts.n + 1),
       ins AS (SELECT gen_random_uuid() AS id)
       INSERT INTO comments (id, article_id, root_id, depth, path, author_name, author_email,
         author_email_hash, body_source, body_html, render_version, status, edit_token_hash,
         editable_until, approved_at)
       SELECT ins.id, a.id, ins.id, 0, '{}', $2, $3, md5($3), $4, '<p>' || $4 || '</p>', 1,
         'approved', md5(random()::text), now() + interval '15 minutes', now()
       FROM a, ins RETURNING id, created_at`,
      [slug, input.authorName, input.authorEmail, input.body],
    );
    return { status: 201, body: { comment: { id: rows[0].id } } };
  }
  const limit = Number(url.searchParams.get('limit') || 20);
  const cursor = url.searchParams.get('cursor');
  // Thread cursors are [pinned segment, created_at, id]; nothing is pinned in this data set, so
  // the baseline only ever reads the unpinned segment (0).
  const after = cursor ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  const { rows } = await pool.query(
    PAGE_SQL(Boolean(after)),
    after ? [slug, limit + 1, after[1], after[2]] : [slug, limit + 1],
  );
  const top = rows.filter((r) => r.part === 0);
  const items = top.slice(0, limit).map(node);
  const byId = new Map(items.map((n) => [n.id, n]));
  const counts = new Map();
  for (const r of rows) {
    if (r.part !== 1) {
      continue;
    }
    const root = byId.get(r.root_id);
    const seen = (counts.get(r.root_id) || 0) + 1;
    counts.set(r.root_id, seen);
    if (!root || seen > CAP) {
      if (root) {
        root.moreReplies = true;
      }
      continue;
    }
    const child = node(r);
    byId.set(child.id, child);
    (byId.get(r.parent_id) || root).replies.push(child);
  }
  const last = top[limit - 1];
  return {
    body: {
      items,
      nextCursor:
        top.length > limit
          ? Buffer.from(JSON.stringify([0, last.cursor_time, last.id])).toString('base64url')
          : null,
      total: top[0] ? Number(top[0].total) : 0,
    },
  };
}

function shape(page) {
  return page.items.map((n) => [n.id, n.replies.map((r) => r.id)]);
}

let deepCursor;
let etag;

async function seed(ctx) {
  const client = ctx.direct;
  const big = await createArticle(ctx.app, BIG);
  const small = await createArticle(ctx.app, SMALL);
  const started = Date.now();
  await seedThread(
    client,
    big.id,
    big.blocks.map((b) => b.id),
    BIG_COUNT,
    0,
  );
  await seedThread(
    client,
    small.id,
    small.blocks.map((b) => b.id),
    SMALL_COUNT,
    100_000,
  );
  await seedFiller(client, TOTAL - BIG_COUNT - SMALL_COUNT);
  process.stdout.write(
    `seeded ${TOTAL} comments (${BIG_COUNT} on ${BIG}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  // A cursor deep in the chain: after the 6,000th top-level comment (page 301 of 375).
  const { rows } = await client.query(
    `SELECT c.created_at, c.id FROM comments c JOIN articles a ON a.id = c.article_id
     WHERE a.slug = $1 AND c.parent_id IS NULL
     ORDER BY c.created_at DESC, c.id DESC OFFSET 5999 LIMIT 1`,
    [BIG],
  );
  deepCursor = Buffer.from(
    JSON.stringify([0, rows[0].created_at.toISOString(), rows[0].id]),
  ).toString('base64url');
}

const FIRST = `/api/articles/${BIG}/comments?limit=20`;
const deep = () => `${FIRST}&cursor=${deepCursor}`;

async function check(ctx) {
  const res = await fetch(`${ctx.app.url}${FIRST}`);
  etag = res.headers.get('etag');
  await res.text();
  for (const path of [FIRST, deep()]) {
    const a = await bench.getJson(`${ctx.app.url}${path}`);
    const b = await bench.getJson(`${ctx.baseline.url}${path}`);
    if (a.status !== 200 || b.status !== 200) {
      throw new Error(`GET ${path}: app ${a.status}, baseline ${b.status}`);
    }
    if (JSON.stringify(shape(a.body)) !== JSON.stringify(shape(b.body))) {
      throw new Error(`GET ${path}: the baseline does not read the same page as the app`);
    }
    if (a.body.nextCursor !== b.body.nextCursor || a.body.total !== b.body.total) {
      throw new Error(`GET ${path}: cursor or total differ between app and baseline`);
    }
  }
}

// Every post differs in author, address, body and client address: the same text twice from one
// address within a minute is a 409, and five posts a minute from one IP or address a 429.
let posted = 0;
function newPost() {
  posted += 1;
  const n = posted;
  return {
    body: {
      authorName: `Bench Poster ${n}`,
      authorEmail: `poster${n}@example.com`,
      body: `A *benchmark* comment (${n}) with [a link](https://example.com).`,
    },
    // Limits count per network (/24): every post comes from a network of its own.
    headers: { 'x-forwarded-for': `10.${(n >> 8) & 255}.${n & 255}.7` },
  };
}

const part = {
  name: 'comments',
  file: __filename,
  baselineRoutes: baselineHandler,
  seed,
  check,
  cases: () => [
    {
      group: 'page',
      name: BARE_PAGE,
      target: 'baseline',
      path: FIRST,
      readMix: true,
    },
    {
      group: 'page',
      name: FIRST_OFF,
      target: 'app',
      path: FIRST,
      readMix: true,
    },
    {
      group: 'page',
      name: SMALL_OFF,
      target: 'app',
      path: `/api/articles/${SMALL}/comments?limit=20`,
      readMix: true,
    },
    {
      group: 'page',
      name: CACHED,
      target: 'app',
      env: { THREAD_CACHE_MS: '1000' },
      path: FIRST,
      readMix: true,
      // Its p99/p50 is judged: a tail moves more between rounds than a rate does.
      rounds: 4,
    },
    {
      group: 'page',
      name: 'app GET comments, revalidated (If-None-Match → 304)',
      target: 'app',
      path: FIRST,
      headers: { 'if-none-match': () => etag },
      readMix: true,
    },
    {
      group: 'deep',
      name: BARE_DEEP,
      target: 'baseline',
      path: deep(),
      readMix: true,
    },
    {
      group: 'deep',
      name: DEEP_OFF,
      target: 'app',
      path: deep(),
      readMix: true,
    },
    {
      group: 'post',
      name: BARE_INSERT,
      target: 'baseline',
      method: 'POST',
      path: `/api/articles/${BIG}/comments`,
      makeBody: newPost,
    },
    {
      group: 'post',
      name: POST_NONE,
      target: 'app',
      method: 'POST',
      path: `/api/articles/${BIG}/comments`,
      makeBody: newPost,
      // Its app CPU is judged against a bound: a median of three outlasts one disturbed round,
      // where a median of two is their mean.
      rounds: 3,
    },
    {
      group: 'post',
      name: POST_SMALL,
      target: 'app',
      method: 'POST',
      path: `/api/articles/${SMALL}/comments`,
      makeBody: newPost,
    },
    {
      group: 'post',
      name: POST_FIRST,
      target: 'app',
      env: { MODERATION: 'first' },
      method: 'POST',
      path: `/api/articles/${BIG}/comments`,
      makeBody: newPost,
    },
  ],
  goals(rows) {
    const row = (name) => rows.find((r) => r.name === name) ?? { p99: NaN };
    // Comparisons within a group are judged round by round (bench.pairedGoals): its cases run
    // back to back in each round, while this shared host's speed drifts between rounds. The page
    // 301 / first page comparison spans two groups, so it compares their medians.
    const paired = bench.pairedGoals(rows, [
      ['first page ≥ 0.6× bare read', FIRST_OFF, BARE_PAGE, 'rps', null, (v) => v >= 0.6],
      ['page 301 ≥ 0.6× bare read', DEEP_OFF, BARE_DEEP, 'rps', null, (v) => v >= 0.6],
      [
        'first page p99, 10,000 / 100 comments ≤ 1.2',
        FIRST_OFF,
        SMALL_OFF,
        'p99',
        null,
        (v) => v <= 1.2,
      ],
      ['cached first page p99 / p50 ≤ 3', CACHED, CACHED, 'p99', 'p50', (v) => v <= 3],
      ['POST (none) ≥ 0.25× bare insert', POST_NONE, BARE_INSERT, 'rps', null, (v) => v >= 0.25],
      ['POST (first) ≥ 0.25× bare insert', POST_FIRST, BARE_INSERT, 'rps', null, (v) => v >= 0.25],
      [
        'POST req/s, 100 / 10,000-comment article ≤ 1.2',
        POST_SMALL,
        POST_NONE,
        'rps',
        null,
        (v) => v <= 1.2,
      ],
    ]);
    const post = row(POST_NONE);
    bench.reportGoals([
      ...paired.goals,
      [
        'page 301 p99 / first page p99 ≤ 1.2',
        row(DEEP_OFF).p99 / row(FIRST_OFF).p99,
        (v) => v <= 1.2,
      ],
      ['app CPU per POST (none) ≤ 1 ms', post.appCpu, (v) => v <= 1],
      // At the table's precision: the instance's own timers (a housekeeping sweep once a minute,
      // a safety poll every 30 s) land in a measurement now and then, one trip among ~1,400
      // posts; the request's own two are counted exactly by test/comment-post-path.e2e-spec.ts.
      ['db round trips per POST (none) ≤ 2', post.trips, (v) => v < 2.005],
      ['db round trips per POST (first) ≤ 2', row(POST_FIRST).trips, (v) => v < 2.005],
    ]);
    bench.printMedians(paired);
    // The floor under any tail on this host: the bare hello's own and the no-op route's, measured
    // in the same run (floor part).
    const tails = ['bare node:http hello', 'app no-op GET /api/health/live']
      .map((name) => rows.find((r) => r.name === name))
      .filter((r) => r !== undefined)
      .map((r) => `${r.name} ${(r.p99 / r.p50).toFixed(2)}`);
    if (tails.length > 0) {
      process.stdout.write(`  (info)  p99 / p50 beside it: ${tails.join('; ')}\n`);
    }
  },
};

module.exports = { part, createArticle, seedThread };
bench.runIfMain(module, () => bench.runSuite([part]));
