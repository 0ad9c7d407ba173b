'use strict';
/**
 * Shared benchmark harness (plain CommonJS, run against the BUILT app in dist/).
 *
 *   const bench = require('./lib');
 *   const db = await bench.createDatabase();
 *   const app = await bench.startApp({ databaseUrl: db.url });
 *   const base = await bench.startBaseline({ databaseUrl: db.url, handler: async (pool, req) => … });
 *   const rows = [await bench.load({ name: 'baseline', url: base.url + '/x' }), …];
 *   bench.printTable(rows, 'baseline');
 *   await app.stop(); await base.close(); await db.drop();
 *
 * A bench file exports `async function run()` and ends with `bench.runIfMain(module, run)`;
 * `node test/bench/run.js [name…]` runs them in sequence.
 */
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const autocannon = require('autocannon');
const { Client, Pool } = require('pg');

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
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
 * Starts `node dist/src/main.js` with the given environment on a free port and waits until
 * /api/health answers 200. Build first (`npm run build`; `npm run bench` does). `nodeArgs` go
 * before the script (e.g. ['--cpu-prof']).
 */
async function startApp({ databaseUrl, env = {}, port, nodeArgs = [], timeoutMs = 60_000 } = {}) {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run "npm run build" first`);
  }
  const listenPort = port ?? (await freePort());
  const url = `http://127.0.0.1:${listenPort}`;
  const child = spawn(process.execPath, [...nodeArgs, MAIN], {
    cwd: ROOT,
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
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  const keep = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 200) {
      output.shift();
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
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
        `the app exited (${JSON.stringify(exited)}) before it was healthy:\n${output.join('')}`,
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
      throw new Error(`the app was not healthy within ${timeoutMs} ms:\n${output.join('')}`);
    }
    await sleep(100);
  }
  return {
    url,
    port: listenPort,
    child,
    admin: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    output: () => output.join(''),
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with {code, signal}. */
    async stop(graceMs = 30_000) {
      if (exited) {
        return exited;
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * A minimal comparison server: node:http + a pg Pool, nothing else. `handler(pool, req, url)`
 * returns `{status?, body}` (body is sent as JSON) or throws (→ 500).
 */
async function startBaseline({ databaseUrl, handler, poolSize = 10, port } = {}) {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', () => {});
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://baseline');
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      req.rawBody = raw;
      Promise.resolve()
        .then(() => handler(pool, req, url))
        .then(
          ({ status = 200, body }) => {
            const json = JSON.stringify(body);
            res.writeHead(status, {
              'Content-Type': 'application/json; charset=utf-8',
              'Content-Length': Buffer.byteLength(json),
            });
            res.end(json);
          },
          (error) => {
            res.writeHead(500, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ statusCode: 500, message: String(error) }));
          },
        );
    });
  });
  const listenPort = port ?? (await freePort());
  await new Promise((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${listenPort}`,
    pool,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
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
  const result = await autocannon({ ...options, duration });
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
        pad(r.p50.toFixed(1), 8, true),
        pad(r.p99.toFixed(1), 8, true),
        pad(r.non2xx, 8, true),
        pad(r.errors, 8, true),
        pad(baseline && baseline.rps > 0 ? (r.rps / baseline.rps).toFixed(2) : '', 7, true),
      ].join('  '),
    );
  }
  process.stdout.write(`${lines.filter((l, i) => i > 0 || l).join('\n')}\n`);
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
  startBaseline,
  load,
  printTable,
  runIfMain,
};
