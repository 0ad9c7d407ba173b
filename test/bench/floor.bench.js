'use strict';
/**
 * The request floor: a bare node:http hello against the framework's no-op route
 * (`GET /api/health/live`), the same route with the access log on (LOG_LEVEL=info; the app's
 * default in the suite is warn), and a bare `SELECT 1` against `GET /api/health`.
 */
const bench = require('./lib');

const BARE = 'bare node:http hello';
const NO_OP = 'app no-op GET /api/health/live';
const LOGGED = 'app no-op, access log on (info)';

function rowOf(rows, name) {
  return rows.find((r) => r.name === name) ?? { rps: NaN, appCpu: NaN };
}

const part = {
  name: 'floor',
  file: __filename,
  // Each measurement is short and the two no-op rows differ by a few percent: more rounds.
  rounds: 6,
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
    { group: 'hello', name: BARE, target: 'baseline', path: '/hello' },
    { group: 'hello', name: NO_OP, target: 'app', path: '/api/health/live' },
    {
      group: 'hello',
      name: LOGGED,
      target: 'app',
      env: { LOG_LEVEL: 'info' },
      path: '/api/health/live',
    },
    { group: 'health', name: 'bare node:http + pg SELECT 1', target: 'baseline', path: '/select1' },
    { group: 'health', name: 'app GET /api/health', target: 'app', path: '/api/health' },
  ],
  goals(rows) {
    // Both judged round by round (bench.pairedGoals): the cases of a round run back to back,
    // while the same route's req/s on this shared host moves by a third between rounds.
    const paired = bench.pairedGoals(rows, [
      ['no-op route ≥ 0.5× bare hello', NO_OP, BARE, 'rps', null, (v) => v >= 0.5],
      // The log's cost is the CPU it adds to each request. Req/s of two instances sharing two
      // cores with the load generator also moves with how the scheduler splits them (a few
      // percent either way between runs of the same build), so it is printed, not judged.
      [
        'access log costs ≤ 5% of the no-op route (app CPU per request with it over without)',
        LOGGED,
        NO_OP,
        'appCpu',
        null,
        (v) => v <= 1.05,
      ],
    ]);
    bench.reportGoals(paired.goals);
    bench.printMedians(paired);
    process.stdout.write(
      `  (info)  access log on, req/s over off: ${(rowOf(rows, LOGGED).rps / rowOf(rows, NO_OP).rps).toFixed(2)}\n`,
    );
  },
};

module.exports = { part };
bench.runIfMain(module, () => bench.runSuite([part]));
