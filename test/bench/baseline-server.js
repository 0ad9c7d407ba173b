'use strict';
/**
 * The bare comparison server, run as a child process so its CPU is measured on its own:
 * node:http + one pg Pool and nothing else. `fork(baseline-server.js, [databaseUrl, ...parts])`
 * loads each part's `baselineRoutes(pool, req, url)` (answers `{status?, body}` for its paths or
 * `undefined`), listens on a free port and sends {port}.
 */
const http = require('node:http');
const { Pool } = require('pg');

const [databaseUrl, ...partFiles] = process.argv.slice(2);
const pool = new Pool({ connectionString: databaseUrl, max: 10 });
pool.on('error', () => {});
const routes = partFiles.map((file) => require(file).part.baselineRoutes).filter(Boolean);

async function answer(req, url) {
  for (const route of routes) {
    const result = await route(pool, req, url);
    if (result) {
      return result;
    }
  }
  return { status: 404, body: { statusCode: 404, message: 'no such baseline route' } };
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://baseline');
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (raw += chunk));
  req.on('end', () => {
    req.rawBody = raw;
    answer(req, url).then(
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

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close();
  void pool.end().then(() => process.exit(0));
});
