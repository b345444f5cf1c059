import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type mysql from 'mysql2/promise';

/**
 * The MariaDB/MySQL server for the tests: HESAP_TEST_MYSQL_URL if set, else the local
 * server on 127.0.0.1:3306 (user root, no password). Each test file creates its own
 * databases and drops them; without a reachable server its tests are skipped with a
 * one-line notice.
 */
export function mysqlServerUrl(): string {
  return process.env.HESAP_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
}

let available: boolean | undefined;

/** Whether the server answers; asked once per test file, synchronously (Jest defines tests synchronously). */
export function mysqlAvailable(): boolean {
  if (available !== undefined) return available;
  const script = `require('mysql2/promise').createConnection({ uri: process.argv[1], connectTimeout: 3000 })
    .then((c) => c.query('SELECT 1').then(() => c.end())).then(() => process.exit(0), () => process.exit(1));`;
  const probe = spawnSync(process.execPath, ['-e', script, mysqlServerUrl()], { cwd: __dirname, timeout: 10_000 });
  available = probe.status === 0;
  if (!available) process.stderr.write(`No MariaDB/MySQL at ${mysqlServerUrl().replace(/:[^:@/]*@/, ':***@')} (set HESAP_TEST_MYSQL_URL): its tests are skipped.\n`);
  return available;
}

/** `describe` when the server answers; otherwise the block is skipped (the notice says why). */
export function describeMysql(name: string, body: () => void): void {
  if (mysqlAvailable()) describe(name, body);
  else describe.skip(name, () => it('needs a MariaDB/MySQL server', () => undefined));
}

export interface MysqlTestDatabase {
  url: string;
  name: string;
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

async function admin<T>(work: (connection: mysql.Connection) => Promise<T>, database?: string): Promise<T> {
  const url = new URL(mysqlServerUrl());
  if (database) url.pathname = `/${database}`;
  // Required here, not at the top: most test files load these helpers without needing MySQL.
  const { createConnection } = require('mysql2/promise') as typeof mysql;
  const connection = await createConnection({ uri: url.toString(), supportBigNumbers: true, bigNumberStrings: true, dateStrings: true });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/** A new, empty database (utf8mb4) for one test; `drop()` removes it. */
export async function createMysqlDatabase(label = 'test'): Promise<MysqlTestDatabase> {
  const name = `hesap_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`));
  const url = new URL(mysqlServerUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    query: <T>(sql: string, values?: unknown[]) => admin(async (c) => (await c.query(sql, values))[0] as T[], name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``)).then(() => undefined),
  };
}
