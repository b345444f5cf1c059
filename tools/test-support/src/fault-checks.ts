import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, type TestDatabase } from './postgres';
import { openSqlite } from './sqlite-files';
import type { CliProcess } from './hesap-cli';

/**
 * What fault-injection tests compare before and after: the content of every table on the
 * PostgreSQL side, the bytes of a SQLite file, the temporary files hesap leaves, and the
 * sessions it keeps open.
 */

export interface PgTableFingerprint {
  rows: number;
  /** md5 of every row's text form, sorted: equal iff the content is equal. */
  md5: string;
  /** Column names and types in order. */
  columns: string;
}

/** Row count, content checksum and columns of every table in a schema (default `public`). */
export async function pgFingerprint(pg: Pick<TestDatabase, 'query'>, schema = 'public'): Promise<Record<string, PgTableFingerprint>> {
  const tables = await pg.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [schema]);
  const out: Record<string, PgTableFingerprint> = {};
  for (const { t } of tables) {
    const name = `"${schema.replace(/"/g, '""')}"."${t.replace(/"/g, '""')}"`;
    const [sum] = await pg.query<{ n: string; md5: string }>(
      `SELECT count(*)::text AS n, md5(coalesce(string_agg(x.r, E'\\n' ORDER BY x.r), '')) AS md5 FROM (SELECT t::text AS r FROM ${name} t) x`,
    );
    const columns = await pg.query<{ c: string }>(
      `SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
      [schema, t],
    );
    out[t] = { rows: Number(sum!.n), md5: sum!.md5, columns: columns[0]?.c ?? '' };
  }
  return out;
}

/** sha256 of a file's bytes. */
export function fileSha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A new SQLite file (any old one removed): `sql` runs first, then `fill` with the open database. */
export function writeSqlite(file: string, sql: string, fill?: (db: ReturnType<typeof openSqlite>) => void): string {
  fs.rmSync(file, { force: true });
  const db = openSqlite(file);
  try {
    db.exec(sql);
    fill?.(db);
  } finally {
    db.close();
  }
  return file;
}

/** Writes a small SQLite file that a failed pull must leave byte for byte; returns its sha256. */
export function writeOldLocalFile(file: string): string {
  writeSqlite(file, "CREATE TABLE precious (v TEXT); INSERT INTO precious VALUES ('keep me');");
  return fileSha256(file);
}

/** Rows in a table and distinct values of its `id`: equal when every row arrived exactly once. */
export async function rowsAndDistinctIds(pg: Pick<TestDatabase, 'query'>, table: string): Promise<{ rows: number; ids: number }> {
  const [r] = await pg.query<{ n: string; d: string }>(`SELECT count(*)::text AS n, count(DISTINCT id)::text AS d FROM "${table.replace(/"/g, '""')}"`);
  return { rows: Number(r!.n), ids: Number(r!.d) };
}

/** hesap's temporary files in a folder (`.<name>.hesap-<pid>-<random>.tmp`). */
export function hesapTempFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => /^\..+\.hesap-\d+-[0-9a-f]+\.tmp$/.test(n));
}

/** The sessions hesap has open on a database (application_name `hesap`). */
export async function hesapSessions(pg: Pick<TestDatabase, 'query' | 'name'>): Promise<Array<{ pid: number; state: string; query: string }>> {
  return pg.query<{ pid: number; state: string; query: string }>(
    `SELECT pid, coalesce(state, '') AS state, query FROM pg_stat_activity WHERE datname = $1 AND application_name = 'hesap' AND pid <> pg_backend_pid()`,
    [pg.name],
  );
}

/** The error `work` fails with; an Error when it succeeds instead. */
export function rejectionOf<E = Error>(work: Promise<unknown>): Promise<E> {
  return work.then(
    () => {
      throw new Error('expected the operation to fail, and it succeeded');
    },
    (e: unknown) => e as E,
  );
}

/** Waits for `work` to settle: its error if it failed, and how long it took. */
export async function settle<E = Error>(work: Promise<unknown>): Promise<{ error?: E; ms: number }> {
  const started = Date.now();
  try {
    await work;
    return { ms: Date.now() - started };
  } catch (e) {
    return { error: e as E, ms: Date.now() - started };
  }
}

/** Polls `check` until it returns something truthy, or throws after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 50, what = 'the condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Kills the sessions hesap has open on a database (the server ending them: SQLSTATE 57P01). */
export async function terminateHesapSessions(pg: Pick<TestDatabase, 'query' | 'name'>): Promise<number> {
  const rows = await pg.query<{ ok: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = 'hesap' AND pid <> pg_backend_pid()`,
    [pg.name],
  );
  return rows.filter((r) => r.ok).length;
}

/**
 * The same, synchronously (in a child process): when it returns, the server has ended the
 * sessions. Called from a progress callback it lands in the middle of the COPY whatever the
 * speed of the machine, since hesap cannot move a byte while the callback blocks.
 */
export function terminateHesapSessionsSync(pg: Pick<TestDatabase, 'url' | 'name'>): number {
  const script = `
    const { Client } = require(process.argv[1]);
    const c = new Client({ connectionString: process.argv[2] });
    c.connect()
      .then(() => c.query("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'hesap'", [process.argv[3]]))
      .then((r) => { process.stdout.write(String(r.rows[0].n)); return c.end(); })
      .catch((e) => { process.stderr.write(String(e)); process.exit(1); });`;
  const out = execFileSync(process.execPath, ['-e', script, require.resolve('pg'), pg.url, pg.name], { encoding: 'utf8' });
  return Number(out);
}

/**
 * Stops a PostgreSQL server at once by a signal to its postmaster (`pid`): `fast` ends the
 * sessions as a restart does (57P01), `immediate` as a crash. Returns when the process is
 * gone, so called from a progress callback it lands in the middle of the COPY.
 */
export function stopPostgresNow(pid: number, mode: 'fast' | 'immediate' = 'fast', timeoutMs = 15_000): void {
  process.kill(pid, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) did not stop within ${timeoutMs} ms.`);
    Atomics.wait(pause, 0, 0, 5);
  }
}

/**
 * A test database on another server (a dedicated embedded PostgreSQL) instead of the
 * shared one. `createTestDatabase` reads the server URL from the environment once, before
 * its first await, so the swap below is seen by it alone.
 */
export function createDatabaseOn(serverUrl: string, label: string): Promise<TestDatabase> {
  const saved = process.env.HESAP_TEST_PG_URL;
  process.env.HESAP_TEST_PG_URL = serverUrl;
  try {
    return createTestDatabase(label);
  } finally {
    process.env.HESAP_TEST_PG_URL = saved;
  }
}

export interface LoadDatabaseOptions {
  /** Rows in `parents` (default 100 000). */
  parents?: number;
  /** Children per parent in `children` (default 2). */
  childrenPerParent?: number;
  /** Length of the text padding of each child row (default 60). */
  padding?: number;
}

/**
 * A SQLite file with `parents` and `children` (a foreign key between them) big enough for a
 * transfer to take a while: built in SQL, in a second or so for 300 000 rows.
 */
export function buildLoadDatabase(file: string, options: LoadDatabaseOptions = {}): { parents: number; children: number } {
  const parents = options.parents ?? 100_000;
  const per = options.childrenPerParent ?? 2;
  const padding = options.padding ?? 60;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.rmSync(file, { force: true });
  const db = openSqlite(file);
  try {
    db.exec(`
      CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL);
      CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents (id), note TEXT, amount NUMERIC(10,2));
      BEGIN;
      WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${parents})
        INSERT INTO parents (id, name, score) SELECT i, 'parent ' || i, i * 0.25 FROM c;
      WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${parents * per})
        INSERT INTO children (id, parent_id, note, amount)
        SELECT i, (i - 1) / ${per} + 1, printf('%d:%.${padding}c', i, 'n'), (i % 10000) / 100.0 FROM c;
      COMMIT;
    `);
  } finally {
    db.close();
  }
  return { parents, children: parents * per };
}

export interface SqliteWriter {
  /** Transactions committed so far (as last reported). */
  committed(): number;
  /** Stops the loop; resolves with what it did. */
  stop(): Promise<{ committed: number; busy: number; errors: string[] }>;
}

/**
 * Another process writing to a SQLite file in a loop, as an app would while hesap reads it:
 * each transaction adds a row to `parents`, three to `children`, and counts them in `totals`
 * (id 1), so any consistent snapshot has totals equal to the row counts. It waits up to
 * `busyTimeoutMs` for locks and counts the SQLITE_BUSY it still gets.
 */
export async function startSqliteWriter(file: string, { busyTimeoutMs = 10_000 } = {}): Promise<SqliteWriter> {
  const script = `
    const Database = require(process.argv[1]);
    const db = new Database(process.argv[2], { timeout: Number(process.argv[3]) });
    const parent = db.prepare("INSERT INTO parents (name) VALUES ('written during the push')");
    const child = db.prepare("INSERT INTO children (parent_id, note) VALUES (?, 'child')");
    const totals = db.prepare('UPDATE totals SET parents = parents + 1, children = children + 3 WHERE id = 1');
    const once = db.transaction(() => {
      const id = parent.run().lastInsertRowid;
      for (let i = 0; i < 3; i++) child.run(id);
      totals.run();
    });
    let committed = 0, busy = 0, stop = false;
    const errors = [];
    process.stdin.on('data', () => (stop = true));
    (function loop() {
      for (let i = 0; i < 5 && !stop; i++) {
        try { once(); committed++; } catch (e) { if (e.code === 'SQLITE_BUSY') busy++; else errors.push(String(e)); }
      }
      process.stdout.write('committed ' + committed + '\\n');
      if (stop) { db.close(); process.stdout.write('DONE ' + JSON.stringify({ committed, busy, errors }) + '\\n'); process.exit(0); }
      // An app pauses between its writes. In rollback-journal mode a reader can only take its lock
      // in those pauses, and SQLite's busy handler polls at up to 100 ms: bursts of 20 commits with
      // 1 ms between them, slowed by a busy machine, starved a reader for its whole busy timeout.
      setTimeout(loop, 10);
    })();`;
  const child = spawn(process.execPath, ['-e', script, require.resolve('better-sqlite3'), file, String(busyTimeoutMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  let committed = 0;
  let started: () => void;
  const ready = new Promise<void>((r) => (started = r));
  const done = new Promise<{ committed: number; busy: number; errors: string[] }>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const all = [...out.matchAll(/committed (\d+)/g)];
      if (all.length > 0) {
        committed = Number(all[all.length - 1]![1]);
        started();
      }
      const m = /DONE (\{.*\})/.exec(out);
      if (m) resolve(JSON.parse(m[1]!));
    });
    child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`the writer exited with ${code}: ${out.slice(-500)}`))));
  });
  await ready;
  return {
    committed: () => committed,
    stop: () => {
      child.stdin!.write('stop\n');
      return done;
    },
  };
}

/**
 * Another process holding an EXCLUSIVE lock on a SQLite file (rollback journal: readers are
 * locked out too) for `ms`; resolves once the lock is held, with a promise of its release.
 */
export async function holdSqliteLock(file: string, ms: number): Promise<{ released: Promise<void> }> {
  const script = `
    const Database = require(process.argv[1]);
    const db = new Database(process.argv[2]);
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('HELD\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); process.exit(0); }, Number(process.argv[3]));`;
  const child = spawn(process.execPath, ['-e', script, require.resolve('better-sqlite3'), file, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const released = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('HELD') && resolve());
    child.on('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
  });
  return { released };
}

/**
 * How long a phase of a CLI run lasts on this machine, for signal tests that must land inside
 * it: `start` spawns the run and resolves once the phase has begun; the window runs from then
 * to the process's exit. Written to stderr for the record.
 */
export async function phaseWindow(label: string, start: () => Promise<CliProcess>): Promise<{ code: number | null; ms: number }> {
  const run = await start();
  const begun = Date.now();
  const { code } = await run.done;
  const ms = Date.now() - begun;
  process.stderr.write(`${label}: ${ms} ms\n`);
  return { code, ms };
}
