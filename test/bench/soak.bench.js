'use strict';
/**
 * Memory over a mixed soak (issue 10): the built app as deployed (rate limits on,
 * TRUST_PROXY_HOPS=1, the thread cache at its default) under BENCH_SOAK_SECONDS (default 300) of
 * mostly reads — first and deep thread pages through many cursors, limits and sorts (distinct
 * thread-cache keys), other articles' pages, the article JSON, the HTML reader page, replies,
 * feeds, the article list — with a steady trickle of comment posts (some replies, some anchored)
 * and votes, every one from a client network of its own. The app's RSS is sampled every
 * 2 seconds; growth compares the median of the last samples with the median just after the
 * warm-up (JIT, pools and caches settled), so one GC sawtooth tooth does not decide it. RSS also
 * moves with V8's own sizing of its heap (it lets garbage build up to a few times the live data
 * between full collections, and sets that limit anew after each), so the app runs with
 * --trace-gc --trace-gc-ignore-scavenger (one line per full collection) and the heap still in use
 * after each full collection, which only a leak makes grow, is reported beside it.
 *
 * Knobs: BENCH_SOAK_SECONDS (300; 0 skips it in `npm run bench`), BENCH_SOAK_CONNECTIONS (16
 * reading connections), BENCH_SOAK_POSTS_PER_SECOND (3), BENCH_SOAK_VOTES_PER_SECOND (2),
 * BENCH_SOAK_WARMUP_SECONDS (a fifth of the soak, at most 60), BENCH_SOAK_NODE_ARGS (node flags
 * for the app, space-separated: a diagnosis only).
 */
const os = require('node:os');
const autocannon = require('autocannon');
const { Client } = require('pg');
const bench = require('./lib');
const { createArticle, seedThread } = require('./comments.bench');

const SAMPLE_MS = 2000;
const BIG = 'soak-thread-big';
const BIG_COUNT = 5000;
const SMALL = 'soak-thread-small';
const OTHERS = 20;
const OTHER_COUNT = 150;
const SORTS = ['newest', 'oldest', 'top'];

function setting(name, fallback) {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : Number(value);
}

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function between(low, high) {
  return low + Math.floor(Math.random() * (high - low + 1));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Articles with threads: one of BIG_COUNT comments, one of 100, OTHERS of OTHER_COUNT. */
async function seed(app, client) {
  const started = Date.now();
  const big = await createArticle(app, BIG);
  const small = await createArticle(app, SMALL);
  const blockIds = (article) => article.blocks.map((b) => b.id);
  await seedThread(client, big.id, blockIds(big), BIG_COUNT, 0);
  await seedThread(client, small.id, blockIds(small), 100, 100_000);
  const others = [];
  for (let i = 1; i <= OTHERS; i += 1) {
    const other = await createArticle(app, `soak-other-${i}`);
    await seedThread(client, other.id, blockIds(other), OTHER_COUNT, 200_000 + i * 1000);
    others.push(other.slug);
  }
  await client.query('VACUUM ANALYZE');
  const { rows } = await client.query(
    `SELECT id FROM comments WHERE article_id = $1 AND parent_id IS NULL ORDER BY created_at`,
    [big.id],
  );
  const { rows: withReplies } = await client.query(
    `SELECT id FROM comments WHERE reply_count > 0 ORDER BY random() LIMIT 500`,
  );
  const { rows: all } = await client.query(`SELECT slug FROM articles WHERE status = 'published'`);
  const total = BIG_COUNT + 100 + OTHERS * OTHER_COUNT;
  process.stdout.write(
    `seeded ${total} comments (${BIG_COUNT} on ${BIG}) on ${all.length} articles in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return {
    bigBlocks: blockIds(big),
    topIds: rows.map((r) => r.id),
    // Votes go to comments readers see: the newest 500 top-level ones of the big thread.
    newestIds: rows.slice(-500).map((r) => r.id),
    withReplies: withReplies.map((r) => r.id),
    slugs: all.map((r) => r.slug),
    threads: [SMALL, ...others],
  };
}

/** Cursors into the big thread for every sort (walked through the app, 100 a page). */
async function harvestCursors(app) {
  const cursors = {};
  for (const sort of SORTS) {
    cursors[sort] = [];
    let cursor = null;
    do {
      const query = `sort=${sort}&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await bench.getJson(`${app.url}/api/articles/${BIG}/comments?${query}`);
      if (res.status !== 200) {
        throw new Error(`walking ${BIG} (${sort}): ${res.status} ${JSON.stringify(res.body)}`);
      }
      cursor = res.body.nextCursor;
      if (cursor) {
        cursors[sort].push(cursor);
      }
    } while (cursor);
  }
  return cursors;
}

/** The read mix: each call picks one path, so the caches see many distinct keys. */
function readPaths(data, cursors) {
  const thread = (slug, query) => `/api/articles/${slug}/comments?${query}`;
  const mix = [
    // The big thread's first page, in every sort and many limits.
    [25, () => thread(BIG, `sort=${pick(SORTS)}&limit=${between(10, 50)}`)],
    [5, () => thread(BIG, `anchor=inline&limit=${between(10, 30)}`)],
    // Deep in the big thread through the harvested cursors.
    [
      25,
      () => {
        const sort = pick(SORTS);
        return thread(BIG, `sort=${sort}&limit=${between(10, 50)}&cursor=${pick(cursors[sort])}`);
      },
    ],
    [10, () => thread(pick(data.threads), `limit=${between(10, 30)}`)],
    [12, () => `/api/articles/${pick(data.slugs)}`],
    [8, () => `/articles/${BIG}?sort=newest&cursor=${pick(cursors.newest)}`],
    [4, () => `/articles/${pick(data.slugs)}`],
    [4, () => `/api/comments/${pick(data.withReplies)}/replies?limit=${between(10, 50)}`],
    [3, () => `/api/articles?limit=${between(5, 30)}`],
    [2, () => '/feed/comments.atom'],
    [2, () => `/articles/${pick(data.threads)}/comments.atom`],
  ];
  const total = mix.reduce((sum, [weight]) => sum + weight, 0);
  return () => {
    let roll = Math.random() * total;
    for (const [weight, path] of mix) {
      roll -= weight;
      if (roll < 0) {
        return path();
      }
    }
    return mix[0][1]();
  };
}

// Every post differs in author, mailbox, body and client network (/24), so neither the
// per-network nor the per-mailbox limit nor the double-submit check refuses it.
let posted = 0;
function newPost(data) {
  posted += 1;
  const n = posted;
  const body = {
    authorName: `Soak Poster ${n}`,
    authorEmail: `soak${n}@example.com`,
    body: `A *soak* comment (${n}) with [a link](https://example.com/${n}).`,
  };
  // One in five goes to another article; of the big thread's, a third are replies and some
  // are anchored to a passage.
  const slug = n % 5 === 4 ? pick(data.threads) : BIG;
  if (slug === BIG && n % 3 === 0) {
    body.parentId = pick(data.topIds);
  } else if (slug === BIG && n % 10 === 1) {
    body.anchor = { blockId: pick(data.bigBlocks) };
  }
  return {
    path: `/api/articles/${slug}/comments`,
    body: JSON.stringify(body),
    headers: { 'x-forwarded-for': `10.${(n >> 8) & 255}.${n & 255}.7` },
  };
}

let voted = 0;
function newVote(data) {
  voted += 1;
  const n = voted;
  return {
    path: `/api/comments/${pick(data.newestIds)}/vote`,
    body: JSON.stringify({ value: n % 4 === 0 ? -1 : 1 }),
    headers: {
      'x-voter-id': `soak-voter-${n}-${Math.random().toString(36).slice(2)}`,
      'x-forwarded-for': `172.${16 + ((n >> 8) & 15)}.${n & 255}.9`,
    },
  };
}

/** The answers of one autocannon stream so far, by status code. */
function counter() {
  return { total: 0, non2xx: 0, errors: 0, codes: {} };
}

function count(tally, statusCode) {
  tally.total += 1;
  tally.codes[statusCode] = (tally.codes[statusCode] ?? 0) + 1;
  if (statusCode < 200 || statusCode >= 300) {
    tally.non2xx += 1;
  }
}

function stream(options, tally) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) =>
      error ? reject(error) : resolve(result),
    );
    instance.on('response', (client, statusCode) => count(tally, statusCode));
    instance.on('reqError', () => (tally.errors += 1));
  });
}

/**
 * The full (mark-compact) collections V8 traced (--trace-gc): when, in seconds since `since`
 * (Date.now() of the soak's start, the trace counting from `spawnedAt`), and the heap in use after
 * each, in MB. Lines look like "[pid:0x…]  47798 ms: Mark-Compact 252.4 (282.9) -> 62.6 (215.9)
 * MB, …".
 */
function fullCollections(text, spawnedAt, since) {
  const found = [];
  for (const m of text.matchAll(
    / (\d+) ms: Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/g,
  )) {
    found.push({ at: (spawnedAt + Number(m[1]) - since) / 1000, liveMb: Number(m[2]) });
  }
  return found;
}

function codes(tally) {
  return Object.entries(tally.codes)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
}

async function run() {
  const seconds = setting('BENCH_SOAK_SECONDS', 300);
  const connections = setting('BENCH_SOAK_CONNECTIONS', 16);
  const postsPerSecond = setting('BENCH_SOAK_POSTS_PER_SECOND', 3);
  const votesPerSecond = setting('BENCH_SOAK_VOTES_PER_SECOND', 2);
  const warmupSeconds = setting('BENCH_SOAK_WARMUP_SECONDS', Math.min(60, Math.round(seconds / 5)));
  const windowSeconds = Math.min(30, Math.max(6, Math.round(seconds / 10)));

  const db = await bench.createDatabase();
  const direct = new Client({ connectionString: db.url });
  let app;
  try {
    await direct.connect();
    app = await bench.startApp({
      databaseUrl: db.url,
      env: { RATE_LIMIT: 'on', TRUST_PROXY_HOPS: '1', MAIL_DISPATCHER: 'off', MODERATION: 'none' },
      // One line per full collection (see fullCollections); more for a diagnosis, e.g.
      // --heapsnapshot-signal=SIGUSR2 (the figures are taken without).
      nodeArgs: [
        '--trace-gc',
        '--trace-gc-ignore-scavenger',
        ...(process.env.BENCH_SOAK_NODE_ARGS || '').split(' ').filter(Boolean),
      ],
    });
    const pid = app.child.pid;
    const data = await seed(app, direct);
    await bench.sleep(2000);
    const restMb = bench.rssMb(pid);
    const cursors = await harvestCursors(app);
    const nextPath = readPaths(data, cursors);
    const loadBefore = os.loadavg();
    process.stdout.write(
      `soak: ${seconds} s, ${connections} reading connections, ${postsPerSecond} posts/s, ${votesPerSecond} votes/s; ` +
        `${cursors.newest.length + cursors.oldest.length + cursors.top.length} cursors into ${BIG}\n`,
    );

    const startedAt = Date.now();
    const samples = [];
    const reads = counter();
    const posts = counter();
    const votes = counter();
    const sampler = setInterval(() => {
      try {
        samples.push({
          at: (Date.now() - startedAt) / 1000,
          mb: bench.rssMb(pid),
          reads: reads.total,
          posts: posts.total,
          votes: votes.total,
        });
      } catch {
        // the app has gone: the streams fail and the run reports it
      }
    }, SAMPLE_MS);
    // A write stream: `rate` requests a second in all, each from `make()` ({path, body, headers}).
    const writes = (method, rate, make, tally) =>
      rate > 0
        ? stream(
            {
              url: app.url,
              connections: Math.ceil(rate),
              overallRate: rate,
              duration: seconds,
              requests: [
                {
                  method,
                  setupRequest: (req) => {
                    const w = make();
                    return {
                      ...req,
                      ...w,
                      headers: { ...req.headers, 'content-type': 'application/json', ...w.headers },
                    };
                  },
                },
              ],
            },
            tally,
          )
        : undefined;
    let readResult;
    try {
      [readResult] = await Promise.all([
        stream(
          {
            url: app.url,
            connections,
            duration: seconds,
            requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: nextPath() }) }],
          },
          reads,
        ),
        writes('POST', postsPerSecond, () => newPost(data), posts),
        writes('PUT', votesPerSecond, () => newVote(data), votes),
      ]);
    } finally {
      clearInterval(sampler);
    }
    const elapsed = (Date.now() - startedAt) / 1000;
    const endRest = bench.rssMb(pid);
    if (app.child.exitCode !== null) {
      throw new Error(`the app exited during the soak:\n${app.output()}`);
    }

    const inWindow = (from, to) =>
      samples.filter((s) => s.at >= from && s.at < to).map((s) => s.mb);
    const warmMb = median(inWindow(warmupSeconds, warmupSeconds + windowSeconds));
    const endMb = median(inWindow(elapsed - windowSeconds, Infinity));
    const maxMb = Math.max(...samples.map((s) => s.mb));
    const growth = ((endMb - warmMb) / warmMb) * 100;
    // A leak keeps growing; a heap still settling grows early and then stays: the second half
    // tells them apart.
    const middle = Math.max(warmupSeconds, elapsed / 2 - windowSeconds / 2);
    const midMb = median(inWindow(middle, middle + windowSeconds));
    const secondHalf = ((endMb - midMb) / midMb) * 100;

    // The heap in use after the full collections of the minute after the warm-up against those of
    // the last minute.
    const collections = fullCollections(app.output(Infinity), app.spawnedAt, startedAt);
    const liveIn = (from, to) =>
      collections.filter((c) => c.at >= from && c.at < to).map((c) => c.liveMb);
    const liveWarm = median(liveIn(warmupSeconds, warmupSeconds + 60));
    const liveEnd = median(liveIn(elapsed - 60, Infinity));
    const liveGrowth = ((liveEnd - liveWarm) / liveWarm) * 100;

    const lines = [
      '',
      `minute   RSS median (min–max) MB   reads/s  posts/s  votes/s`,
      '-'.repeat(62),
    ];
    // One line a minute; the seconds past the last whole minute count into it.
    const minutes = Math.max(1, Math.round(elapsed / 60));
    let before = { at: 0, reads: 0, posts: 0, votes: 0 };
    for (let m = 0; m < minutes; m += 1) {
      const end = m === minutes - 1 ? Infinity : (m + 1) * 60;
      const inMinute = samples.filter((s) => s.at >= m * 60 && s.at < end);
      if (!inMinute.length) {
        continue;
      }
      const mbs = inMinute.map((s) => s.mb);
      const last = inMinute[inMinute.length - 1];
      const since = before;
      const rate = (key) => ((last[key] - since[key]) / (last.at - since.at)).toFixed(1);
      before = last;
      lines.push(
        [
          String(m + 1).padStart(6),
          `${median(mbs).toFixed(0)} (${Math.min(...mbs).toFixed(0)}–${Math.max(...mbs).toFixed(0)})`.padStart(
            26,
          ),
          rate('reads').padStart(8),
          rate('posts').padStart(7),
          rate('votes').padStart(7),
        ].join('  '),
      );
    }
    lines.push(
      '',
      `app RSS: ${restMb.toFixed(0)} MB at rest, ${warmMb.toFixed(0)} MB after the ${warmupSeconds} s warm-up ` +
        `(median of ${windowSeconds} s), ${endMb.toFixed(0)} MB at the end (median of the last ${windowSeconds} s), ` +
        `${maxMb.toFixed(0)} MB max, ${endRest.toFixed(0)} MB once the load stopped; growth ${growth.toFixed(1)}% ` +
        `(${secondHalf.toFixed(1)}% over the second half, from ${midMb.toFixed(0)} MB).`,
      `V8 heap in use after a full collection (${collections.length} in the soak): ${liveWarm.toFixed(1)} MB in the minute ` +
        `after the warm-up, ${liveEnd.toFixed(1)} MB in the last minute (median of each); growth ${liveGrowth.toFixed(1)}%.`,
      `reads: ${(reads.total / elapsed).toFixed(0)} req/s (p50 ${readResult.latency.p50} ms, p99 ${readResult.latency.p99} ms), ` +
        `${reads.total} in all, ${reads.non2xx} non-2xx, ${reads.errors + readResult.timeouts} errors [${codes(reads)}].`,
      `posts: ${posts.total} (${codes(posts)}), ${posts.errors} errors; votes: ${votes.total} (${codes(votes)}), ${votes.errors} errors.`,
      `machine load average ${loadBefore.map((x) => x.toFixed(1)).join(' / ')} before, ` +
        `${os
          .loadavg()
          .map((x) => x.toFixed(1))
          .join(' / ')} after, on ${os.cpus().length} cores; soak took ${elapsed.toFixed(0)} s.`,
    );
    process.stdout.write(`${lines.join('\n')}\n\ngoals\n`);
    bench.reportGoals([
      ['RSS growth over the soak ≤ 10%', growth, (v) => v <= 10],
      [
        'V8 heap in use after full collections, growth over the soak ≤ 10%',
        liveGrowth,
        (v) => v <= 10,
      ],
    ]);
    return {
      restMb,
      warmMb,
      endMb,
      maxMb,
      growth,
      secondHalf,
      liveWarm,
      liveEnd,
      liveGrowth,
      reads,
      posts,
      votes,
    };
  } finally {
    await direct.end().catch(() => undefined);
    await app?.stop();
    await db.drop();
  }
}

module.exports = run;
bench.runIfMain(module, run);
