'use strict';
/**
 * `npm run bench`: one run, one table: every route of the floor, articles and comments parts
 * against its bare baseline, started in the same run (see lib.js runSuite). Name parts to run
 * only those (`node test/bench/run.js comments`); `newsletter` (delivery end to end) runs only
 * when named. Expects a build in dist/.
 */
const path = require('node:path');
const bench = require('./lib');

const SUITE = ['floor', 'articles', 'comments'];
const ON_ITS_OWN = ['newsletter'];

async function main(names) {
  const chosen = names.length ? names.map((n) => n.replace(/\.bench\.js$/, '')) : SUITE;
  for (const name of chosen) {
    if (!SUITE.includes(name) && !ON_ITS_OWN.includes(name)) {
      throw new Error(`no benchmark ${name}; have: ${[...SUITE, ...ON_ITS_OWN].join(', ')}`);
    }
  }
  const parts = chosen
    .filter((n) => SUITE.includes(n))
    .map((n) => require(path.join(__dirname, `${n}.bench.js`)).part);
  if (parts.length) {
    await bench.runSuite(parts);
  }
  for (const name of chosen.filter((n) => ON_ITS_OWN.includes(n))) {
    process.stdout.write(`\n== ${name}\n`);
    await require(path.join(__dirname, `${name}.bench.js`))();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
