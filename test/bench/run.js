'use strict';
/**
 * Runs every test/bench/*.bench.js in sequence, or only those named on the command line
 * (`node test/bench/run.js articles` runs articles.bench.js). Expects a build in dist/.
 */
const { readdirSync } = require('node:fs');
const path = require('node:path');

async function main(names) {
  const all = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .sort();
  const chosen = names.length
    ? names.map((n) => {
        const file = n.endsWith('.bench.js') ? n : `${n}.bench.js`;
        if (!all.includes(path.basename(file))) {
          throw new Error(`no benchmark ${file}; have: ${all.join(', ')}`);
        }
        return path.basename(file);
      })
    : all;
  for (const file of chosen) {
    process.stdout.write(`\n== ${file}\n`);
    const run = require(path.join(__dirname, file));
    await run();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
