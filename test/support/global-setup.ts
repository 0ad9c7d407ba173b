import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { serverUrl, withAdminClient } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    testRun: string;
  }
}

/**
 * Names this run; every database the tests create starts with the name, and the teardown drops
 * them all, so parallel runs and leftovers of killed runs never collide.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const run = `mgtest_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  try {
    await withAdminClient((client) => client.query('SELECT 1'));
  } catch (error) {
    throw new Error(
      `tests need a PostgreSQL server at ${serverUrl()} (set TEST_DATABASE_URL): ${String(error)}`,
      { cause: error },
    );
  }
  project.provide('testRun', run);
  return async () => {
    await withAdminClient(async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`${run}\\_%`],
      );
      for (const { datname } of rows) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    });
  };
}
