'use strict';
/**
 * Shared benchmark harness (plain CommonJS, run against the BUILT app in dist/).
 *
 *   const bench = require('./lib');
 *   const db = await bench.createDatabase();
 *   const app = await bench.startApp({ databaseUrl: db.url });
 *   const rows = [await bench.load({ name: 'app', url: app.url + '/x' }), …];
 *   bench.printTable(rows, 'app');
 *   await app.stop(); await db.drop();
 *
 * The bare comparison server runs as a child process of its own (baseline-server.js, started by
 * runSuite).
 *
 * A bench file exports `async function run()` and ends with `bench.runIfMain(module, run)`;
 * `node test/bench/run.js [name…]` runs them in sequence.
 */
const { fork, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } = require('node:fs');
const os = require('node:os');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');

const ROOT = path.resolve(__dirname, '..', '..');
/** BENCH_APP_ROOT measures another checkout's build (e.g. the lead's main, for "before" figures). */
const APP_ROOT = process.env.BENCH_APP_ROOT ? path.resolve(process.env.BENCH_APP_ROOT) : ROOT;
const MAIN = path.join(APP_ROOT, 'dist', 'src', 'main.js');
/** The node flags `npm start` runs the app with (its package.json): the bench measures what ships. */
const START_FLAGS = JSON.parse(readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8'))
  .scripts.start.split(/\s+/)
  .filter((arg) => arg.startsWith('--'));
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

/** The PostgreSQL server benchmarks run against (the same one the tests use). */
function serverUrl() {
  return process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

async function withAdminClient(work) {
  const client = new Client({ connectionString: serverUrl(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, uniquely named, empty database; `drop()` removes it (call it in a finally). */
async function createDatabase(prefix = 'mgbench') {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withAdminClient((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  };
}

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with {status, body} of a GET (body parsed as JSON when it is JSON). */
function getJson(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, timeout: 5000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => {
        let body = data;
        try {
          body = JSON.parse(data);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/**
 * Starts `node dist/src/main.js` (with `npm start`'s node flags) with the given environment on a
 * free port and waits until /api/health answers 200. Build first (`npm run build`; `npm run bench` does). `nodeArgs` go
 * before the script (e.g. ['--cpu-prof']). The app's output goes to a file, as a deployment's
 * goes to its log collector: the load generator (this process) must not also be the collector of
 * megabytes of access log a second.
 */
async function startApp({ databaseUrl, env = {}, port, nodeArgs = [], timeoutMs = 60_000 } = {}) {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run "npm run build" first`);
  }
  const listenPort = port ?? (await freePort());
  const url = `http://127.0.0.1:${listenPort}`;
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'mgbench-app-'));
  const logFile = path.join(logDir, 'output.log');
  const log = openSync(logFile, 'w');
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [...START_FLAGS, ...nodeArgs, MAIN], {
    cwd: APP_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(listenPort),
      PUBLIC_URL: url,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ADMIN_TOKEN,
      RATE_LIMIT: 'off',
      MAIL_DISPATCHER: 'off',
      MODERATION: 'none',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DELAY_MS: '0',
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  /** The last `maxChars` (20 KB unless told) the app wrote. */
  const output = (maxChars = 20_000) => {
    const text = readFileSync(logFile, 'utf8');
    return text.slice(-maxChars);
  };
  let exited = null;
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      throw new Error(
        `the app exited (${JSON.stringify(exited)}) before it was healthy:\n${output()}`,
      );
    }
    try {
      const res = await getJson(`${url}/api/health`);
      if (res.status === 200) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the app was not healthy within ${timeoutMs} ms:\n${output()}`);
    }
    await sleep(100);
  }
  return {
    url,
    port: listenPort,
    child,
    /** When the process was started (Date.now()): V8's --trace-gc times count from about then. */
    spawnedAt,
    admin: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    output,
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with {code, signal}. */
    async stop(graceMs = 30_000) {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      }
      rmSync(logDir, { recursive: true, force: true });
      return exited;
    },
  };
}

/** The q-quantile (0..1) of sorted numbers, nearest rank. */
function quantile(sorted, q) {
  if (sorted.length === 0) {
    return NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * autocannon, with each answered request's latency kept to the microsecond: autocannon's own
 * histogram records whole milliseconds, so a p50 of 2.9 ms reads as 2 and a p99/p50 ratio of a
 * fast route is more rounding than measurement. `latency.p50`/`p99` of the result are replaced
 * by the exact percentiles of the answers below 400 (a 304 counts: it is an answer).
 */
async function cannon(options) {
  const times = [];
  const instance = autocannon(options);
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status < 400) {
      times.push(ms);
    }
  });
  const result = await instance;
  const sorted = Float64Array.from(times).sort();
  return {
    ...result,
    latency: { ...result.latency, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) },
  };
}

/**
 * Runs autocannon against one URL and returns a table row: {name, rps, p50, p99, non2xx,
 * errors, requests}. `body` may be an object (sent as JSON) or a string.
 */
async function load({
  name,
  url,
  method = 'GET',
  body,
  headers = {},
  connections = 32,
  duration = 10,
  warmup = 2,
  makeBody,
}) {
  const payload = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
  const allHeaders =
    payload === undefined && !makeBody
      ? headers
      : { 'content-type': 'application/json', ...headers };
  const options = { url, method, body: payload, headers: allHeaders, connections };
  if (makeBody) {
    // A fresh body per request (e.g. posts that must not repeat one another).
    options.requests = [
      { method, setupRequest: (req) => ({ ...req, body: JSON.stringify(makeBody()) }) },
    ];
  }
  if (warmup > 0) {
    await autocannon({ ...options, duration: warmup });
  }
  const result = await cannon({ ...options, duration });
  return {
    name: name ?? `${method} ${new URL(url).pathname}`,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    requests: result.requests.total,
  };
}

function pad(value, width, right = false) {
  const text = String(value);
  return right ? text.padStart(width) : text.padEnd(width);
}

/**
 * Prints rows as a table; with `baselineName`, a "ratio" column gives each row's req/s over the
 * baseline's (1.00 = as fast as the baseline).
 */
function printTable(rows, baselineName, title) {
  const baseline = baselineName ? rows.find((r) => r.name === baselineName) : undefined;
  const nameWidth = Math.max(4, ...rows.map((r) => r.name.length));
  const header = [
    pad('name', nameWidth),
    pad('req/s', 10, true),
    pad('p50 ms', 8, true),
    pad('p99 ms', 8, true),
    pad('non2xx', 8, true),
    pad('errors', 8, true),
    pad('ratio', 7, true),
  ].join('  ');
  const lines = [title ? `\n${title}` : '', header, '-'.repeat(header.length)];
  for (const r of rows) {
    lines.push(
      [
        pad(r.name, nameWidth),
        pad(r.rps.toFixed(0), 10, true),
        pad(r.p50.toFixed(2), 8, true),
        pad(r.p99.toFixed(2), 8, true),
        pad(r.non2xx, 8, true),
        pad(r.errors, 8, true),
        pad(baseline && baseline.rps > 0 ? (r.rps / baseline.rps).toFixed(2) : '', 7, true),
      ].join('  '),
    );
  }
  process.stdout.write(`${lines.filter((l, i) => i > 0 || l).join('\n')}\n`);
}

// ---- process and database metrics ------------------------------------------------------------

const TICK_MS = 1000 / 100; // /proc reports CPU in clock ticks (USER_HZ = 100 on Linux)

/** CPU time (user + system) a process has used so far, in ms. */
function procCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0; // the process has gone
  }
}

/** Resident set size of a process, in MB. */
function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** CPU ms of every PostgreSQL backend serving `database` (but `client`'s own), by pid. */
async function backendCpu(client, database) {
  const { rows } = await client.query(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [database],
  );
  return new Map(rows.map((r) => [r.pid, procCpuMs(r.pid)]));
}

function cpuSince(before, after) {
  let total = 0;
  for (const [pid, ms] of after) {
    total += ms - (before.get(pid) ?? 0);
  }
  return total;
}

function forkReady(file, args) {
  const child = fork(path.join(__dirname, file), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    child.once('message', (message) => resolve({ child, port: message.port }));
  });
}

/**
 * A counting proxy in front of PostgreSQL (test/bench/pg-proxy.js in a child process):
 * `route(url, tag)` points a database URL at a listener of its own for `tag` (one per server
 * measured), and `counts(tag)` resolves with the frontend's Sync + Query messages through it so
 * far (each one a round trip to the server): a request's trips, not those of the other app
 * instances' background work.
 */
async function startPgProxy() {
  const target = new URL(serverUrl());
  const { child } = await forkReady('pg-proxy.js', [target.hostname, target.port || '5432']);
  const ask = (request, answer) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message.type === answer && message.tag === request.tag) {
          child.off('message', onMessage);
          resolve(message);
        }
      };
      child.on('message', onMessage);
      child.send(request);
    });
  const ports = new Map();
  return {
    async route(url, tag) {
      if (!ports.has(tag)) {
        ports.set(tag, (await ask({ type: 'listen', tag }, 'listening')).port);
      }
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(ports.get(tag));
      return u.toString();
    },
    async counts(tag) {
      const message = await ask({ type: 'counts', tag }, 'counts');
      return message.sync + message.query;
    },
    close() {
      child.disconnect();
    },
  };
}

// ---- the suite: every route against its bare baseline, one table ------------------------------

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs the given parts (modules exporting `part = {name, seed?, baselineRoutes?, cases}`) in one
 * run: one database, one counting proxy, the bare baseline server and the app (plus an app per
 * extra environment a case asks for), all child processes. Cases come in groups, the first case
 * of a group its bare baseline; each group is measured BENCH_ROUNDS times, alternating the order,
 * and each figure is the median. Prints one table and returns its rows.
 *
 * A case: {group, name, target: 'baseline' | 'app', env?, nodeArgs?, path, method?, headers?,
 * makeBody?, readMix?, rounds?, probe?}. `env` (and `nodeArgs`, node flags) pick (and start once)
 * an app with those variables on top of the defaults. `probe(server)` resolves with a running
 * total the app keeps (e.g. ms spent in some code): read around each measurement, its growth per
 * request sent is the row's `probe` (NaN without one).
 */
async function runSuite(parts, options = {}) {
  const duration = Number(process.env.BENCH_SECONDS || 4);
  const connections = Number(process.env.BENCH_CONNECTIONS || 32);
  const rounds = Number(process.env.BENCH_ROUNDS || 2);
  const firstWarmup = Number(process.env.BENCH_FIRST_WARMUP_SECONDS || 5);
  const warmed = new Set();
  const defaults = {
    MODERATION: 'none',
    RATE_LIMIT: 'on',
    THREAD_CACHE_MS: '0',
    TRUST_PROXY_HOPS: '1',
    ...options.env,
  };
  const db = await createDatabase();
  const proxy = await startPgProxy();
  const direct = new Client({ connectionString: db.url });
  const apps = new Map();
  let baseline;
  const started = Date.now();
  // One app per distinct environment (and node flags), counted apart by the proxy under its tag.
  const appFor = async (env = {}, nodeArgs = []) => {
    const key = JSON.stringify(nodeArgs.length > 0 ? [env, nodeArgs] : env);
    if (!apps.has(key)) {
      const app = await startApp({
        databaseUrl: await proxy.route(db.url, key),
        env: { ...defaults, ...env },
        nodeArgs,
      });
      apps.set(key, { ...app, tag: key });
    }
    return apps.get(key);
  };
  try {
    await direct.connect();
    const app = await appFor();
    const ctx = { db, direct, app, appFor, connections, duration };
    for (const part of parts) {
      await part.seed?.(ctx);
    }
    await direct.query('VACUUM ANALYZE');
    const files = parts.filter((p) => p.baselineRoutes).map((p) => p.file);
    const base = await forkReady('baseline-server.js', [
      await proxy.route(db.url, 'baseline'),
      ...files,
    ]);
    baseline = { url: `http://127.0.0.1:${base.port}`, child: base.child, tag: 'baseline' };
    ctx.baseline = baseline;
    for (const part of parts) {
      await part.check?.(ctx);
    }
    const rest = rssMb(app.child.pid);
    let readPeak = rest;

    const measure = async (c) => {
      const server = c.target === 'baseline' ? baseline : await appFor(c.env, c.nodeArgs);
      const pid = server.child.pid;
      // Dead rows left by earlier posts would tax later rows: autovacuum is off on this machine.
      await direct.query('VACUUM');
      const url = `${server.url}${c.path}`;
      const method = c.method ?? 'GET';
      // A header given as a function is read now (a value known only after seeding).
      const headers = Object.fromEntries(
        Object.entries(c.headers ?? {}).map(([k, v]) => [k, typeof v === 'function' ? v() : v]),
      );
      const base = { url, method, connections, headers };
      const opts = c.makeBody
        ? {
            ...base,
            headers: { 'content-type': 'application/json', ...base.headers },
            requests: [
              {
                method,
                setupRequest: (req) => {
                  const { body, headers } = c.makeBody();
                  return {
                    ...req,
                    body: JSON.stringify(body),
                    headers: { ...req.headers, ...headers },
                  };
                },
              },
            ],
          }
        : base;
      // The first time a case runs, its code paths are new to the server: V8 compiles them for a
      // few seconds (in background threads the CPU figures would count). A deployed server runs
      // warm, so the first measurement of a case comes after a longer warm-up.
      await autocannon({ ...opts, duration: warmed.has(c) ? 1 : firstWarmup });
      warmed.add(c);
      // The warm-up's requests still in flight belong to neither measurement: let them finish.
      await sleep(300);
      const probe0 = c.probe ? await c.probe(server) : 0;
      const cpu0 = procCpuMs(pid);
      const db0 = await backendCpu(direct, db.name);
      const trips0 = await proxy.counts(server.tag);
      let peak = 0;
      const sampler = c.readMix
        ? setInterval(() => {
            peak = Math.max(peak, rssMb(pid));
          }, 250)
        : undefined;
      const result = await cannon({ ...opts, duration });
      clearInterval(sampler);
      // Requests still in flight when the load stopped were sent (their statements run) but not
      // answered to the load generator: let them finish, and count per request sent.
      await sleep(300);
      const cpu1 = procCpuMs(pid);
      const db1 = await backendCpu(direct, db.name);
      const trips1 = await proxy.counts(server.tag);
      const probe1 = c.probe ? await c.probe(server) : NaN;
      if (c.readMix) {
        readPeak = Math.max(readPeak, peak);
      }
      const n = Math.max(1, result.requests.sent);
      return {
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        appCpu: (cpu1 - cpu0) / n,
        dbCpu: cpuSince(db0, db1) / n,
        trips: (trips1 - trips0) / n,
        probe: (probe1 - probe0) / n,
      };
    };

    // A part or a case may ask for more rounds (BENCH_ROUNDS at least) for its group: short,
    // noisy cases compared closely, or a tail (p99) judged against its own median.
    const all = parts.flatMap((p) =>
      p.cases(ctx).map((c) => ({ ...c, rounds: Math.max(rounds, p.rounds ?? 0, c.rounds ?? 0) })),
    );
    // BENCH_CASES=<regular expression> measures only the cases whose names match it (with their
    // group's bare baseline): a closer look at one route, not a run whose goals all count.
    const only = process.env.BENCH_CASES ? new RegExp(process.env.BENCH_CASES, 'i') : undefined;
    const cases = only
      ? all.filter(
          (c) =>
            only.test(c.name) ||
            (c.target === 'baseline' && all.some((o) => o.group === c.group && only.test(o.name))),
        )
      : all;
    const groups = [];
    for (const c of cases) {
      const group = groups.find((g) => g.name === c.group);
      if (group) {
        group.cases.push(c);
        group.rounds = Math.max(group.rounds, c.rounds);
      } else {
        groups.push({ name: c.group, cases: [c], rounds: c.rounds });
      }
    }
    const rows = [];
    for (const group of groups) {
      const samples = new Map(group.cases.map((c) => [c, []]));
      for (let r = 0; r < group.rounds; r += 1) {
        const order = r % 2 ? [...group.cases].reverse() : group.cases;
        for (const c of order) {
          const sample = await measure(c);
          samples.get(c).push(sample);
          if (process.env.BENCH_SAMPLES === '1') {
            process.stdout.write(
              `  round ${r + 1} ${c.name}: ${Math.round(sample.rps)} req/s, ${sample.appCpu.toFixed(3)} ms app CPU\n`,
            );
          }
        }
      }
      const baselineRow = group.cases[0].target === 'baseline' ? group.cases[0] : undefined;
      for (const c of group.cases) {
        const s = samples.get(c);
        const row = { name: c.name, group: group.name, baseline: c === baselineRow };
        for (const key of ['rps', 'p50', 'p99', 'appCpu', 'dbCpu', 'trips', 'probe']) {
          row[key] = median(s.map((x) => x[key]));
        }
        row.non2xx = s.reduce((a, x) => a + x.non2xx, 0);
        row.errors = s.reduce((a, x) => a + x.errors, 0);
        // Each round's own figures, in round order, for comparisons round by round.
        row.samples = s;
        rows.push(row);
      }
      for (const row of rows.filter((x) => x.group === group.name)) {
        const b = rows.find((x) => x.group === group.name && x.baseline);
        row.ratio = b && !row.baseline ? row.rps / b.rps : undefined;
      }
    }
    const memory = { restMb: rest, readPeakMb: readPeak };
    const mostRounds = Math.max(...groups.map((g) => g.rounds));
    printSuite(rows, {
      title: `${connections} connections, ${duration} s per measurement, median of ${rounds} alternating rounds${mostRounds > rounds ? ` (${mostRounds} where a part or case asks)` : ''}`,
      memory,
      load: os.loadavg(),
      seconds: (Date.now() - started) / 1000,
    });
    process.stdout.write('\ngoals\n');
    for (const part of parts) {
      part.goals?.(rows, memory);
    }
    return { rows, memory };
  } finally {
    await direct.end().catch(() => undefined);
    baseline?.child.disconnect();
    for (const a of apps.values()) {
      await a.stop();
    }
    proxy.close();
    await db.drop();
  }
}

/**
 * The median over rounds of `key` in the row named `name` over the same round's `overKey` (`key`
 * unless given) in the row named `over` (rows of one group, or the same row). A group's cases run
 * back to back within each round, so each round's pair saw the same moment of the machine: on a
 * shared host whose speed drifts by tens of percent from one minute to the next (CPU stolen by
 * neighbours), the pairs' median follows what differs between the two, where the ratio of two
 * medians mixes in which rounds were slow.
 */
function pairedRatio(rows, name, over, key, overKey = key) {
  const a = rows.find((r) => r.name === name);
  const b = rows.find((r) => r.name === over);
  if (!a || !b || a.samples.length !== b.samples.length) {
    return NaN;
  }
  return median(a.samples.map((x, i) => x[key] / b.samples[i][overKey]));
}

/**
 * Goals comparing two figures of one group, `[label, name, over, key, overKey, ok]` (`overKey`
 * null for `key`): each judged round by round (pairedRatio), as `reportGoals` takes them, and
 * printed (printMedians) as the ratio of the two rows' medians too, for those measured in the run.
 */
function pairedGoals(rows, comparisons) {
  const row = (name) => rows.find((r) => r.name === name);
  const goals = comparisons.map(([label, name, over, key, overKey, ok]) => [
    `${label} (median of the rounds' ratios)`,
    pairedRatio(rows, name, over, key, overKey ?? key),
    ok,
  ]);
  const medians = comparisons.flatMap(([label, name, over, key, overKey]) => {
    const ratio = (row(name)?.[key] ?? NaN) / (row(over)?.[overKey ?? key] ?? NaN);
    return Number.isFinite(ratio) ? [`${label.replace(/ [≥≤].*$/, '')} ${ratio.toFixed(2)}`] : [];
  });
  return { goals, medians };
}

/** The ratios of the medians beside goals judged round by round (pairedGoals). */
function printMedians({ medians }) {
  if (medians.length > 0) {
    process.stdout.write(`  (info)  the same as ratios of the medians: ${medians.join('; ')}\n`);
  }
}

/** Prints [label, value, ok(value)] lines under a "goals" heading. */
function reportGoals(goals) {
  for (const [label, value, ok] of goals) {
    if (value === undefined || Number.isNaN(value)) {
      process.stdout.write(`  -        ${label}: not measured in this run\n`);
      continue;
    }
    process.stdout.write(
      `  ${ok(value) ? 'met    ' : 'MISSED '} ${label}: ${Number.isFinite(value) ? value.toFixed(2) : 'n/a'}\n`,
    );
  }
}

function printSuite(rows, { title, memory, load, seconds }) {
  const nameWidth = Math.max(4, ...rows.map((r) => r.name.length));
  const cols = [
    ['req/s', 8, (r) => r.rps.toFixed(0)],
    ['p50 ms', 7, (r) => r.p50.toFixed(2)],
    ['p99 ms', 7, (r) => r.p99.toFixed(2)],
    ['ratio', 6, (r) => (r.ratio === undefined ? (r.baseline ? 'base' : '') : r.ratio.toFixed(2))],
    ['app CPU ms/req', 14, (r) => r.appCpu.toFixed(3)],
    ['db CPU ms/req', 13, (r) => r.dbCpu.toFixed(2)],
    ['db trips/req', 12, (r) => r.trips.toFixed(2)],
    ['non2xx', 6, (r) => String(r.non2xx)],
  ];
  const header = [pad('route', nameWidth), ...cols.map(([h, w]) => pad(h, w, true))].join('  ');
  const lines = [`\n${title}`, header, '-'.repeat(header.length)];
  let group;
  for (const r of rows) {
    if (group !== undefined && r.group !== group) {
      lines.push('');
    }
    group = r.group;
    lines.push([pad(r.name, nameWidth), ...cols.map(([, w, f]) => pad(f(r), w, true))].join('  '));
  }
  lines.push(
    '',
    `ratio: req/s over the bare baseline above it, measured in the same run; CPU from /proc;`,
    `db trips: frontend Sync + Query messages through a counting proxy, per request.`,
    `app RSS: ${memory.restMb.toFixed(0)} MB at rest, ${memory.readPeakMb.toFixed(0)} MB peak under the read mix.`,
    `machine load average ${load.map((x) => x.toFixed(1)).join(' / ')} on ${os.cpus().length} cores; run took ${seconds.toFixed(0)} s.`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `bench.runIfMain(module, run)` at the end of a bench file lets it run on its own too. */
function runIfMain(mod, run) {
  if (require.main === mod) {
    run().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
        process.exit(1);
      },
    );
  }
}

module.exports = {
  ADMIN_TOKEN,
  ROOT,
  serverUrl,
  withAdminClient,
  createDatabase,
  freePort,
  sleep,
  getJson,
  startApp,
  load,
  cannon,
  quantile,
  printTable,
  procCpuMs,
  rssMb,
  startPgProxy,
  runSuite,
  pairedRatio,
  pairedGoals,
  printMedians,
  reportGoals,
  runIfMain,
};
