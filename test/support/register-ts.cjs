'use strict';
/**
 * `node -r ./test/support/register-ts.cjs src/main.ts`: runs the TypeScript sources in a child
 * process without a build (tests spawn the real entry points this way; CI runs no build before
 * `npm test`). SWC compiles each file on require with the same decorator settings as vitest;
 * results are cached under node_modules/.cache, keyed by the file's content, because tests spawn
 * the same entry points many times.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const options = {
  sourceMaps: 'inline',
  module: { type: 'commonjs' },
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
};
const cacheDir = join(__dirname, '..', '..', 'node_modules', '.cache', 'marginalia-ts');
const salt = JSON.stringify(options) + require('@swc/core/package.json').version;

require.extensions['.ts'] = (module, filename) => {
  const source = readFileSync(filename, 'utf8');
  const key = createHash('sha256').update(salt).update(filename).update(source).digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  let code;
  try {
    code = readFileSync(cached, 'utf8');
  } catch {
    code = transformSync(source, { ...options, filename }).code;
    try {
      mkdirSync(cacheDir, { recursive: true });
      const temp = `${cached}.${process.pid}`;
      writeFileSync(temp, code);
      renameSync(temp, cached);
    } catch {
      // a cache that cannot be written only costs time
    }
  }
  module._compile(code, filename);
};
