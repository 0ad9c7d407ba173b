'use strict';
/**
 * The moderation console's queue page: 50 held comments, each with reports, a parent and the
 * author's other comments. Reports how many SQL statements one page costs (committed
 * transactions of the app in pg_stat_database over 40 sequential pages; every statement of this
 * page runs on its own) and its req/s, next to the admin API's list of the same 50 comments.
 *
 *   npm run build && node test/bench/console.bench.js
 */
const http = require('node:http');
const { Client } = require('pg');
const bench = require('./lib');

const PAGES = 40;

function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function committed(client, name) {
  const { rows } = await client.query(
    'SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = $1',
    [name],
  );
  return Number(rows[0].n);
}

async function seed(url) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT id FROM articles LIMIT 1');
    const articleId = rows[0].id;
    await client.query(
      `INSERT INTO comments (id, article_id, root_id, author_name, author_email, author_email_hash,
         body_source, body_html, render_version, status, reasons, edit_token_hash, editable_until,
         created_at)
       SELECT id, $1, id, 'Reader ' || ord, 'r' || (ord % 9) || '@example.com', 'hash-' || (ord % 9),
         'comment ' || ord, '<p>comment ' || ord || '</p>', 1, 'pending',
         ARRAY['first comment of this address'], 'x', now(), now() - (ord || ' seconds')::interval
       FROM (SELECT gen_random_uuid() AS id, ord FROM generate_series(1, 120) AS ord) s`,
      [articleId],
    );
    await client.query(
      `INSERT INTO comment_reports (comment_id, voter_key, article_id, reason, ip_hash)
       SELECT id, 'voter-' || id, article_id, 'off topic', 'ip' FROM comments
       WHERE status = 'pending' ORDER BY created_at DESC LIMIT 20`,
    );
  } finally {
    await client.end();
  }
}

async function run() {
  const duration = Number(process.env.BENCH_SECONDS || 10);
  const connections = Number(process.env.BENCH_CONNECTIONS || 16);
  const db = await bench.createDatabase();
  let app;
  const stats = new Client({ connectionString: db.url });
  try {
    app = await bench.startApp({
      databaseUrl: db.url,
      env: { MODERATION: 'all', MAIL_DISPATCHER: 'off' },
    });
    await seed(db.url);
    const signIn = await request(`${app.url}/admin/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(bench.ADMIN_TOKEN)}`,
    });
    if (signIn.status !== 303) {
      throw new Error(`sign-in answered ${signIn.status}`);
    }
    const cookie = signIn.headers['set-cookie'][0].split(';')[0];
    const page = await request(`${app.url}/admin/queue`, { headers: { cookie } });
    const items = (page.body.match(/class="queue-item /g) || []).length;
    if (page.status !== 200 || items !== 50) {
      throw new Error(`queue page: ${page.status}, ${items} items`);
    }
    await stats.connect();
    // A backend flushes its statistics at most once a second and, once idle, within 10 s.
    const perPage = async (url, headers) => {
      await bench.sleep(11_000);
      const before = await committed(stats, db.name);
      for (let i = 0; i < PAGES; i += 1) {
        await request(url, { headers });
      }
      await bench.sleep(11_000);
      // Minus the statistics query of our own that `before` ran in its transaction.
      return ((await committed(stats, db.name)) - before - 1) / PAGES;
    };
    const consoleStatements = await perPage(`${app.url}/admin/queue`, { cookie });
    const apiStatements = await perPage(`${app.url}/api/admin/comments?limit=50`, app.admin);
    const rows = [
      await bench.load({
        name: 'GET /api/admin/comments?limit=50',
        url: `${app.url}/api/admin/comments?limit=50`,
        headers: app.admin,
        connections,
        duration,
      }),
      await bench.load({
        name: 'console GET /admin/queue (50 items)',
        url: `${app.url}/admin/queue`,
        headers: { cookie },
        connections,
        duration,
      }),
    ];
    bench.printTable(
      rows,
      'GET /api/admin/comments?limit=50',
      `Moderation queue of 50, ${connections} connections, ${duration} s each`,
    );
    process.stdout.write(
      `SQL statements per page (${PAGES} pages): console queue page ${consoleStatements.toFixed(2)} ` +
        `(session + queue), admin API list ${apiStatements.toFixed(2)}\n`,
    );
    return rows;
  } finally {
    await stats.end().catch(() => undefined);
    await app?.stop();
    await db.drop();
  }
}

module.exports = run;
bench.runIfMain(module, run);
