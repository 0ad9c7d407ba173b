'use strict';
/**
 * `node -r ./test/support/register-ts.cjs src/main.ts`: runs the TypeScript sources in a child
 * process without a build (tests spawn the real entry points this way; CI runs no build before
 * `npm test`). SWC compiles each file on require with the same decorator settings as vitest.
 */
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
  });
  module._compile(code, filename);
};
