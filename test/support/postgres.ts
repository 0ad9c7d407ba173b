import { Client } from 'pg';
import { inject } from 'vitest';

/** The server tests run against: TEST_DATABASE_URL, else the local one CI starts. */
export function serverUrl(): string {
  return process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let counter = 0;

/** A new, empty database of this run; global teardown drops every one of them. */
export async function createTestDatabase(): Promise<string> {
  const run = inject('testRun');
  counter += 1;
  const name = `${run}_${process.pid}_${counter}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  return databaseUrl(name);
}
