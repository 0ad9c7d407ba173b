'use strict';
/**
 * `npm run bench`: one run, one table: every route of the parts (bench files exporting `part`:
 * floor, articles, comments) against its bare baseline, started in the same run (lib.js
 * runSuite), then the memory soak (soak.bench.js; BENCH_SOAK_SECONDS=0 leaves it out). Name
 * parts to run only those (`node test/bench/run.js comments`, `… soak`). The other bench files
 * exporting a function (newsletter, render, console) measure something else and run only when
 * named. Expects a build in dist/.
 */
const { readdirSync } = require('node:fs');
const path = require('node:path');
const bench = require('./lib');

const FILES = readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.js'))
  .sort()
  .map((f) => f.replace(/\.bench\.js$/, ''));
const load = (name) => require(path.join(__dirname, `${name}.bench.js`));
// The suite's order: the floor first, posts (which grow the thread) last.
const SUITE = ['floor', 'articles', 'comments'].filter((n) => FILES.includes(n));
// After the suite, on an app and database of its own: memory over a mixed soak.
const AFTER_SUITE = process.env.BENCH_SOAK_SECONDS === '0' ? [] : ['soak'];

async function main(names) {
  const chosen = names.length
    ? names.map((n) => n.replace(/\.bench\.js$/, ''))
    : [...SUITE, ...AFTER_SUITE];
  for (const name of chosen) {
    if (!FILES.includes(name)) {
      throw new Error(`no benchmark ${name}; have: ${FILES.join(', ')}`);
    }
  }
  const parts = chosen.map((n) => load(n).part).filter(Boolean);
  if (parts.length) {
    await bench.runSuite(parts);
  }
  for (const name of chosen.filter((n) => typeof load(n) === 'function')) {
    process.stdout.write(`\n== ${name}\n`);
    await load(name)();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
