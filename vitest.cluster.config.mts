import { defineConfig } from 'vitest/config';
import base from './vitest.config.mts';

/** `npm run test:cluster`: the scale-out test (HAProxy, PgBouncer, a replica); see README. */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/cluster/**/*.cluster-spec.ts'],
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 400_000,
  },
});
