import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  createProxiedTestDatabase,
  createTestDatabase,
  openSqlite,
  repoRoot,
  startSqliteApp,
  tempDir,
  waitFor,
  type ProxiedTestDatabase,
  type SqliteApp,
  type TestDatabase,
} from '@hesap/test-support';
import { watch, type WatchFailure, type WatchHandle, type WatchPush, type WatchStatus } from '@hesap/api';

/**
 * `watch()` against a real PostgreSQL and SQLite files written by another process, as an app
 * writes them. Every wait polls for its condition with a generous limit: nothing here
 * depends on how fast the machine is.
 */

const LONG = { timeoutMs: 60_000, intervalMs: 100 };

/** A local file with the app's two tables, in the journal mode asked for. */
function appFile(dir: string, name: string, journal: 'wal' | 'delete'): string {
  const file = path.join(dir, name);
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
  const db = openSqlite(file);
  db.pragma(`journal_mode = ${journal}`);
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
    CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT);
    INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada');
    INSERT INTO notes (user_id, body) VALUES (1, 'first');`);
  db.close();
  return file;
}

/** What a watcher said, kept for the assertions. */
function record(handle: WatchHandle) {
  const seen = { pushes: [] as WatchPush[], failures: [] as WatchFailure[], changes: 0, states: [] as WatchStatus['state'][] };
  handle.on('push', (p) => seen.pushes.push(p));
  handle.on('error', (f) => seen.failures.push(f));
  handle.on('change', () => seen.changes++);
  handle.on('status', (s) => seen.states.push(s.state));
  return seen;
}

async function remoteEmails(pg: TestDatabase): Promise<string[]> {
  try {
    return (await pg.query<{ email: string }>('SELECT email FROM users ORDER BY email')).map((r) => r.email);
  } catch {
    return []; // not created yet
  }
}

describe('watch()', () => {
  const tmp = tempDir('hesap-watch');
  let pg: TestDatabase;
  const handles: WatchHandle[] = [];
  const apps: SqliteApp[] = [];

  beforeEach(async () => {
    pg = await createTestDatabase('watch');
  });
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.stop()));
    for (const app of apps.splice(0)) app.dispose();
    await pg.drop();
  });
  afterAll(() => tmp.cleanup());

  const start = (options: Parameters<typeof watch>[0]) => {
    const handle = watch(options);
    handles.push(handle);
    return handle;
  };
  const app = async (file: string) => {
    const a = await startSqliteApp(file);
    apps.push(a);
    return a;
  };

  it.each(['wal', 'delete'] as const)('pushes at the start, then each row another process commits (journal_mode %s)', async (journal) => {
    const file = appFile(tmp.dir, `writer-${journal}.db`, journal);
    const handle = start({ local: file, remote: pg.url });
    const seen = record(handle);
    await waitFor(() => seen.pushes.length >= 1, { ...LONG, what: 'the first push' });
    expect(seen.pushes[0]).toMatchObject({ trigger: 'start', tables: 2, rows: { inserted: 2, read: 2 }, complete: true, rowsLeftOut: 0 });
    expect(await remoteEmails(pg)).toEqual(['ada@example.com']);

    const writer = await app(file);
    await writer.exec("INSERT INTO users (email, name) VALUES ('bob@example.com', 'Bob')");
    await waitFor(async () => (await remoteEmails(pg)).includes('bob@example.com'), { ...LONG, what: "the writer's row in PostgreSQL" });
    expect(seen.changes).toBeGreaterThanOrEqual(1);
    const second = seen.pushes.find((p) => p.trigger === 'change');
    expect(second).toMatchObject({ rows: { inserted: 1 }, complete: true });
    expect(seen.pushes.every((p) => p.conflicts === 0)).toBe(true);

    // A burst of commits is pushed, all of it.
    for (let i = 0; i < 20; i++) await writer.exec(`INSERT INTO notes (user_id, body) VALUES (1, 'burst ${i}')`);
    await waitFor(async () => Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM notes'))[0]!.n) === 21, { ...LONG, what: 'the burst in PostgreSQL' });
    await waitFor(() => handle.status().state === 'idle', { ...LONG, what: 'the watcher to be idle' });
    expect(handle.status()).toMatchObject({ pending: false, failures: 0 });
    expect(seen.failures).toEqual([]);
    await writer.stop();
  });

  it('with deletes, a row another process deletes goes from PostgreSQL too', async () => {
    const file = appFile(tmp.dir, 'deletes.db', 'wal');
    const handle = start({ local: file, remote: pg.url, deletes: true });
    const seen = record(handle);
    await waitFor(() => seen.pushes.length >= 1, { ...LONG, what: 'the first push' });
    const writer = await app(file);
    await writer.exec("INSERT INTO notes (user_id, body) VALUES (1, 'second'), (1, 'third')");
    const bodies = async () => (await pg.query<{ body: string }>('SELECT body FROM notes ORDER BY id')).map((r) => r.body);
    await waitFor(async () => (await bodies()).length === 3, { ...LONG, what: 'the new notes in PostgreSQL' });
    await writer.exec("DELETE FROM notes WHERE body = 'second'");
    await waitFor(async () => (await bodies()).length === 2, { ...LONG, what: 'the deleted note gone from PostgreSQL' });
    expect(await bodies()).toEqual(['first', 'third']);
    expect(seen.failures).toEqual([]);
    expect(seen.pushes.every((p) => p.conflicts === 0)).toBe(true);
    await writer.stop();
  });

  it('a link that goes down: the push is retried with backoff, and a commit made while it was down arrives once it is back', async () => {
    let linked: ProxiedTestDatabase | undefined;
    try {
      linked = await createProxiedTestDatabase('watch_link');
      const { proxy, remote } = linked;
      const file = appFile(tmp.dir, 'link.db', 'wal');
      const handle = start({ local: file, remote, retryBaseMs: 200, retryMaxMs: 1_500, connectTimeoutSeconds: 10 });
      const seen = record(handle);
      await waitFor(() => seen.pushes.length >= 1, { ...LONG, what: 'the first push' });

      proxy.down({ reset: true });
      const writer = await app(file);
      await writer.exec("INSERT INTO users (email, name) VALUES ('offline@example.com', 'Written offline')");
      // Two failed attempts at least: it retried, and it keeps the change pending.
      await waitFor(() => seen.failures.length >= 2, { ...LONG, what: 'two failed attempts' });
      for (const f of seen.failures) {
        expect(f).toMatchObject({ retriable: true, error: expect.objectContaining({ code: expect.stringMatching(/^CONNECTION_/) }) });
        expect(f.retryInMs).toBeGreaterThan(0);
        expect(f.retryInMs).toBeLessThanOrEqual(1_500);
      }
      expect(seen.failures.map((f) => f.attempt).slice(0, 2)).toEqual([1, 2]);
      expect(handle.status()).toMatchObject({ pending: true });
      expect(await remoteEmails(linked.pg)).toEqual(['ada@example.com']);

      proxy.up();
      await waitFor(async () => (await remoteEmails(linked!.pg)).includes('offline@example.com'), { ...LONG, what: 'the offline row after the link came back' });
      await waitFor(() => handle.status().state === 'idle', { ...LONG, what: 'the watcher to be idle' });
      expect(handle.status()).toMatchObject({ pending: false, failures: 0 });
      expect(seen.pushes[seen.pushes.length - 1]).toMatchObject({ trigger: 'retry', rows: { inserted: 1 } });
      await writer.stop();
    } finally {
      await Promise.all(handles.splice(0).map((h) => h.stop()));
      await linked?.drop();
    }
  });

  it('a push refused for its data is reported once, and tried again after the next local commit', async () => {
    const file = appFile(tmp.dir, 'refused.db', 'wal');
    // The remote's notes.body is an integer: the local text cannot go in.
    await pg.query('CREATE TABLE notes (id integer PRIMARY KEY, user_id integer, body integer)');
    const handle = start({ local: file, remote: pg.url });
    const seen = record(handle);
    await waitFor(() => seen.failures.length >= 1, { ...LONG, what: 'the refused push' });
    expect(seen.failures[0]).toMatchObject({ retriable: false, attempt: 1, trigger: 'start' });
    expect(seen.failures[0]!.retryInMs).toBeUndefined();
    await waitFor(() => handle.status().state === 'blocked', { ...LONG, what: 'the watcher to wait for a commit' });
    expect(handle.status()).toMatchObject({ pending: true, lastError: { code: seen.failures[0]!.error.code, retriable: false } });
    expect(await remoteEmails(pg)).toEqual([]);

    // The schema is mended on the remote; only the next local commit makes the watcher try again.
    await pg.query('DROP TABLE notes');
    const writer = await app(file);
    await writer.exec("INSERT INTO users (email, name) VALUES ('cy@example.com', 'Cy')");
    await waitFor(async () => (await remoteEmails(pg)).length === 2, { ...LONG, what: 'the push after the commit' });
    expect(seen.failures).toHaveLength(1);
    expect(seen.pushes[0]).toMatchObject({ trigger: 'change', rows: { inserted: 3 } });
    await writer.stop();
  });

  it('stop() while a push is in flight rolls it back, resolves, and stops every look and push', async () => {
    // Every chunk held 150 ms each way: the first push takes seconds.
    const linked = await createProxiedTestDatabase('watch_stop', { delayMs: 150 });
    try {
      const file = appFile(tmp.dir, 'stop.db', 'wal');
      const handle = start({ local: file, remote: linked.remote });
      const seen = record(handle);
      await waitFor(() => handle.status().state === 'pushing', { ...LONG, what: 'the first push to start' });
      // Wait until the push holds a connection to the server through the proxy.
      await waitFor(() => linked.proxy.open > 0, { ...LONG, what: 'the push to connect' });
      await handle.stop();
      expect(handle.status().state).toBe('stopped');
      expect(await handle.stop()).toBeUndefined();
      // Rolled back, or (if its COMMIT had gone out already) committed whole.
      const tables = await linked.pg.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
      if (seen.pushes.length === 0) expect(tables).toEqual([]);
      else expect(await remoteEmails(linked.pg)).toEqual(['ada@example.com']);
      expect(seen.failures).toEqual([]);
      expect(handle.status().pending).toBe(seen.pushes.length === 0);

      // Stopped means stopped: a commit now starts nothing.
      const writer = await app(file);
      await writer.exec("INSERT INTO users (email, name) VALUES ('late@example.com', 'Late')");
      const accepted = linked.proxy.accepted;
      const states = seen.states.length;
      await new Promise((r) => setTimeout(r, 1_000));
      expect({ accepted: linked.proxy.accepted, states: seen.states.length }).toEqual({ accepted, states });
      await writer.stop();
    } finally {
      await linked.drop();
    }
  });

  it('after stop() nothing keeps the process alive: a program that stops its watcher exits by itself', async () => {
    const file = appFile(tmp.dir, 'exit.db', 'wal');
    const api = path.join(repoRoot(), 'packages', 'api', 'dist', 'index.js');
    const script = `
      const { watch } = require(process.argv[1]);
      const handle = watch({ local: process.argv[2], remote: process.argv[3] });
      handle.on('push', async (p) => {
        await handle.stop();
        process.stdout.write(JSON.stringify({ stopped: handle.status().state, inserted: p.rows.inserted }) + '\\n');
        // No process.exit: the program ends when nothing is left to run.
      });`;
    const child = spawn(process.execPath, ['-e', script, api, file, pg.url], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(killer);
    expect({ code, err, out: out.trim() }).toEqual({ code: 0, err: '', out: JSON.stringify({ stopped: 'stopped', inserted: 2 }) });
  });

  it('a file that does not exist is refused at once', () => {
    expect(() => watch({ local: path.join(tmp.dir, 'missing.db'), remote: pg.url })).toThrow(expect.objectContaining({ code: 'LOCAL_FILE_MISSING' }));
    expect(fs.existsSync(path.join(tmp.dir, 'missing.db'))).toBe(false);
  });
});
