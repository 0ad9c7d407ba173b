'use strict';
/**
 * The request floor: a bare node:http hello against the framework's no-op route
 * (`GET /api/health/live`), and a bare `SELECT 1` against `GET /api/health`.
 */
const bench = require('./lib');

const part = {
  name: 'floor',
  file: __filename,
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
    ]);
  },
};

module.exports = { part };
bench.runIfMain(module, () => bench.runSuite([part]));
