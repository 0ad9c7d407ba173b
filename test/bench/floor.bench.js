'use strict';
/**
 * The request floor: a bare node:http hello against the framework's no-op route
 * (`GET /api/health/live`), the same route with the access log on (LOG_LEVEL=info; the app's
 * default in the suite is warn), and a bare `SELECT 1` against `GET /api/health`.
 */
const bench = require('./lib');

function rpsOf(rows, name) {
  const row = rows.find((r) => r.name === name);
  return row ? row.rps : NaN;
}

const part = {
  name: 'floor',
  file: __filename,
  // Each measurement is short and the two no-op rows differ by a few percent: more rounds.
  rounds: 4,
  baselineRoutes(pool, req, url) {
    if (url.pathname === '/hello') {
      return { body: { status: 'ok' } };
    }
    if (url.pathname === '/select1') {
      return pool.query('SELECT 1').then(() => ({ body: { status: 'ok', db: 'up' } }));
    }
    return undefined;
  },
  cases: () => [
    { group: 'hello', name: 'bare node:http hello', target: 'baseline', path: '/hello' },
    {
      group: 'hello',
      name: 'app no-op GET /api/health/live',
      target: 'app',
      path: '/api/health/live',
    },
    {
      group: 'hello',
      name: 'app no-op, access log on (info)',
      target: 'app',
      env: { LOG_LEVEL: 'info' },
      path: '/api/health/live',
    },
    { group: 'health', name: 'bare node:http + pg SELECT 1', target: 'baseline', path: '/select1' },
    { group: 'health', name: 'app GET /api/health', target: 'app', path: '/api/health' },
  ],
  goals(rows) {
    bench.reportGoals([
      [
        'no-op route ≥ 0.5× bare hello',
        bench.ratioOf(rows, 'app no-op GET /api/health/live'),
        (v) => v >= 0.5,
      ],
      [
        'access log costs ≤ 5% of the no-op route (req/s with it over without)',
        rpsOf(rows, 'app no-op, access log on (info)') /
          rpsOf(rows, 'app no-op GET /api/health/live'),
        (v) => v >= 0.95,
      ],
    ]);
  },
};

module.exports = { part };
bench.runIfMain(module, () => bench.runSuite([part]));
