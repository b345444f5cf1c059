import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The maintenance URL the global setup found (local server, HESAP_TEST_PG_URL, or embedded). */
export function testServerUrl(): string {
  const url = process.env.HESAP_TEST_PG_URL;
  if (!url) throw new Error('HESAP_TEST_PG_URL is not set: run the tests through jest (the global setup provides a server).');
  return url;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  /** URL of the new, empty database. */
  url: string;
  name: string;
  /** Runs SQL against the database (a fresh connection each time). */
  query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** Creates a new database for one test file; `drop()` removes it. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const server = testServerUrl();
  const name = `hesap_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(server, `CREATE DATABASE "${name}"`);
  const url = withDatabase(server, name);
  return {
    url,
    name,
    query: async <T extends Record<string, unknown>>(sql: string, values?: unknown[]) => {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<T>(sql, values)).rows;
      } finally {
        await client.end();
      }
    },
    drop: async () => {
      await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

export async function adminQuery(url: string, sql: string, values?: unknown[]): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * For a describe block whose every test needs an empty database of its own: made before each
 * test and dropped after it. The object stands for the current test's database.
 */
export function databasePerTest(label: string): TestDatabase {
  let current: TestDatabase | undefined;
  const now = (): TestDatabase => {
    if (!current) throw new Error(`databasePerTest(${label}): the database exists only while a test runs`);
    return current;
  };
  beforeEach(async () => {
    current = await createTestDatabase(label);
  });
  afterEach(async () => {
    const done = current;
    current = undefined;
    await done?.drop();
  });
  return {
    get url() {
      return now().url;
    },
    get name() {
      return now().name;
    },
    query: <T extends Record<string, unknown>>(sql: string, values?: unknown[]) => now().query<T>(sql, values),
    drop: () => now().drop(),
  };
}
