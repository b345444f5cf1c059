import pg from 'pg';
import { quoteIdent } from '@hesap/core';

export interface DemoDatabase {
  /** The new database's URL on the same server. */
  url: string;
  /** Removes it, ending any session still on it. */
  drop: () => Promise<void>;
}

async function onServer<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database for the demo on the server `serverUrl` points at, so the demo never
 * writes into a database that holds someone's data.
 *
 * @example
 * const db = await createDemoDatabase(process.env.DATABASE_URL!);
 * try { ... } finally { await db.drop(); }
 */
export async function createDemoDatabase(serverUrl: string, name = `hesap_demo_${Date.now().toString(36)}`): Promise<DemoDatabase> {
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    url: url.toString(),
    drop: async () => {
      await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
    },
  };
}
