import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  buildLoadDatabase,
  createProxiedTestDatabase,
  createTestDatabase,
  hesapBin,
  hesapSessions,
  openSqlite,
  spawnHesap,
  startSqliteApp,
  tempDir,
  waitFor,
  type CliProcess,
  type TestDatabase,
} from '@hesap/test-support';

/**
 * `hesap db watch` as users run it: the built CLI in its own process, a writer process
 * committing to the file, real PostgreSQL, and signals. Every wait polls for its condition
 * with a generous limit; no assertion depends on how fast the machine is.
 */

const LONG = { timeoutMs: 60_000, intervalMs: 100 };

function appFile(dir: string, name: string): string {
  const file = path.join(dir, name);
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  const db = openSqlite(file);
  db.pragma('journal_mode = wal');
  db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
           INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada');`);
  db.close();
  return file;
}

/** The JSON lines printed so far, each parsed (a line that does not parse fails the test). */
function events(stdout: string): Array<Record<string, any>> {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}

/** Starts `hesap db watch` and keeps what it prints, readable while it runs. */
function startWatch(args: string[]) {
  const run = spawnHesap(['db', 'watch', ...args], { timeoutMs: 180_000 });
  let stdout = '';
  run.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  return { run, stdout: () => stdout, events: () => events(stdout) };
}

async function count(pg: TestDatabase, table: string): Promise<number | undefined> {
  const exists = await pg.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`public.${table}`]);
  if (exists[0]?.t === null) return undefined;
  return Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
}

describe('hesap db watch', () => {
  const tmp = tempDir('hesap-cli-watch');
  let pg: TestDatabase;
  const running: CliProcess[] = [];

  beforeEach(async () => {
    pg = await createTestDatabase('cli_watch');
  });
  afterEach(async () => {
    for (const r of running.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await pg.drop();
  });
  afterAll(() => tmp.cleanup());

  it('--json: one parseable JSON object per line, per event; a writer process\'s row arrives; SIGINT ends it with exit 0', async () => {
    const file = appFile(tmp.dir, 'json.db');
    const w = startWatch(['--local', file, '--remote', pg.url, '--json']);
    running.push(w.run);
    await waitFor(() => w.events().some((e) => e.event === 'push'), { ...LONG, what: 'the first push' });

    const writer = await startSqliteApp(file);
    try {
      await writer.exec("INSERT INTO users (email, name) VALUES ('bob@example.com', 'Bob')");
      await waitFor(async () => (await pg.query('SELECT 1 FROM users WHERE email = $1', ['bob@example.com'])).length === 1, { ...LONG, what: "the writer's row" });
    } finally {
      await writer.stop();
    }
    await waitFor(() => w.events().filter((e) => e.event === 'push').length >= 2, { ...LONG, what: 'the second push event' });
    w.run.child.kill('SIGINT');
    const result = await w.run.done;
    expect({ code: result.code, signal: result.signal, stderr: result.stderr }).toEqual({ code: 0, signal: null, stderr: '' });

    const all = events(result.stdout);
    expect(all[0]).toMatchObject({ event: 'watching', local: file, remote: expect.stringContaining(pg.name) });
    expect(all[all.length - 1]).toMatchObject({ event: 'stopped', signal: 'SIGINT', pushes: 2, pending: false });
    const pushes = all.filter((e) => e.event === 'push');
    expect(pushes.map((p) => [p.trigger, p.rows.inserted, p.tables, p.complete])).toEqual([
      ['start', 1, 1, true],
      ['change', 1, 1, true],
    ]);
    expect(pushes[1]!.result.tables[0]).toMatchObject({ table: 'users', inserted: 1, unchanged: 1 });
    expect(all.some((e) => e.event === 'change' && typeof e.dataVersion === 'number')).toBe(true);
    expect(all.every((e) => typeof e.at === 'string' && !Number.isNaN(Date.parse(e.at)))).toBe(true);
  });

  it('off a terminal: a plain line per push and failure, and the stop (SIGTERM)', async () => {
    const file = appFile(tmp.dir, 'plain.db');
    const w = startWatch(['--local', file, '--remote', pg.url]);
    running.push(w.run);
    await waitFor(() => /Pushed 1 rows/.test(w.stdout()), { ...LONG, what: 'the first push line' });
    w.run.child.kill('SIGTERM');
    const result = await w.run.done;
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^Watching .*plain\.db → postgresql:\/\/.*: a push after each local commit\. Ctrl-C stops\.$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d Pushed 1 rows \(1 inserted; 0 unchanged, 0 skipped\) in 1 table, /),
      'Stopped (SIGTERM) after 1 push. Everything committed locally was pushed.',
    ]);
    expect(result.stdout).not.toMatch(/\u001b\[/);
  });

  // util-linux's `script` gives the CLI a real terminal, and Ctrl-C typed into it is SIGINT.
  const withTerminal = spawnSync('script', ['--version']).status === 0 ? it : it.skip;
  if (withTerminal === it.skip) process.stderr.write('`script` (util-linux) is missing: the terminal test of hesap db watch is skipped.\n');
  withTerminal('on a terminal: one status line rewritten in place; Ctrl-C typed into it stops with exit 0', async () => {
    const file = appFile(tmp.dir, 'tty.db');
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    // `exec`: the shell `script` starts becomes hesap. Without it dash (Debian's /bin/sh, used
    // when SHELL is unset, as in CI) waits in the foreground too, takes the Ctrl-C and ends
    // itself by SIGINT, so `script` reports 130 whatever hesap did. SHELL=/bin/sh: every
    // machine runs this test as CI does.
    const command = 'exec ' + [process.execPath, hesapBin(), 'db', 'watch', '--local', file, '--remote', pg.url].map(quote).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh', NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => /up to date · last push \d\d:\d\d:\d\d: 1 row \(1 inserted, 0 updated\), 1 table, .* · 1 push/.test(out), { ...LONG, what: 'the status line after the first push' });
      child.stdin.write('\u0003');
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // Each state rewrote the one line (carriage return, erase line); only the first and last lines end.
    // (The terminal echoes the Ctrl-C typed as ^C.)
    const lines = out.replace(/\^C/g, '').split('\r\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Watching .*tty\.db → postgresql:\/\//);
    const rewrites = lines[1]!.split('\r\u001b[2K').filter((l) => l.length > 0);
    expect(rewrites[0]).toBe('pushing… · 0 pushes');
    expect(rewrites.filter((l) => /^stopping · last push /.test(l))).toHaveLength(1);
    expect(rewrites.every((l) => !l.includes('\n'))).toBe(true);
    expect(rewrites[rewrites.length - 1]).toBe('Stopped (SIGINT) after 1 push. Everything committed locally was pushed.');
  });

  it('SIGINT while a push is in flight: exit 0 within seconds, and PostgreSQL holds the whole push or none of it', async () => {
    const big = path.join(tmp.dir, 'big.db');
    const { parents, children } = buildLoadDatabase(big, { parents: 100_000, childrenPerParent: 4 });
    const w = startWatch(['--local', big, '--remote', pg.url, '--json']);
    running.push(w.run);
    // The first push is in flight once its COPY runs on the server (on a machine fast enough
    // to end it before a look sees it, the signal comes after it: then it must be whole).
    await waitFor(async () => (await hesapSessions(pg)).some((s) => /^COPY /.test(s.query)) || w.events().some((e) => e.event === 'push') || w.run.child.exitCode !== null, {
      timeoutMs: 60_000,
      intervalMs: 20,
      what: 'the push to start copying',
    });
    expect(w.run.child.exitCode).toBeNull();
    const signalled = Date.now();
    w.run.child.kill('SIGINT');
    const result = await w.run.done;
    const exitMs = Date.now() - signalled;
    process.stderr.write(`watch: SIGINT during a push, exit after ${exitMs} ms\n`);
    expect({ code: result.code, signal: result.signal, stderr: result.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    // "Within seconds", with room for a busy machine: the rollback does not wait for the COPY to end.
    expect(exitMs).toBeLessThan(30_000);

    await waitFor(async () => (await hesapSessions(pg)).length === 0, { ...LONG, what: 'hesap sessions to end' });
    const all = events(result.stdout);
    const pushed = all.filter((e) => e.event === 'push').length;
    expect(all[all.length - 1]).toMatchObject({ event: 'stopped', signal: 'SIGINT', pushes: pushed, pending: pushed === 0 });
    expect(all.filter((e) => e.event === 'error')).toEqual([]);
    const held = { parents: await count(pg, 'parents'), children: await count(pg, 'children') };
    // All of it, or nothing (the tables were created in the push's transaction too).
    expect(held).toEqual(pushed === 1 ? { parents, children } : { parents: undefined, children: undefined });
  });

  it('SIGINT while it waits to retry a lost link: exit 0 at once, the change still local', async () => {
    const linked = await createProxiedTestDatabase('cli_watch_link');
    try {
      const file = appFile(tmp.dir, 'link.db');
      const w = startWatch(['--local', file, '--remote', linked.remote, '--json', '--connect-timeout', '5']);
      running.push(w.run);
      await waitFor(() => w.events().some((e) => e.event === 'push'), { ...LONG, what: 'the first push' });
      linked.proxy.down({ reset: true });
      const writer = await startSqliteApp(file);
      await writer.exec("INSERT INTO users (email, name) VALUES ('offline@example.com', 'Offline')");
      await writer.stop();
      await waitFor(() => w.events().some((e) => e.event === 'error'), { ...LONG, what: 'a failed attempt' });
      const failure = w.events().find((e) => e.event === 'error')!;
      expect(failure).toMatchObject({ retriable: true, attempt: 1, retryInMs: expect.any(Number), error: { code: expect.stringMatching(/^CONNECTION_/) } });
      w.run.child.kill('SIGINT');
      const result = await w.run.done;
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const all = events(result.stdout);
      expect(all[all.length - 1]).toMatchObject({ event: 'stopped', pushes: 1, pending: true });
      expect((await linked.pg.query('SELECT email FROM users ORDER BY email')).map((r) => r.email)).toEqual(['ada@example.com']);
    } finally {
      await linked.drop();
    }
  });

  it('a local file that does not exist: exit 2 at once, naming it', async () => {
    const missing = path.join(tmp.dir, 'nope.db');
    const run = spawnHesap(['db', 'watch', '--local', missing, '--remote', pg.url]);
    running.push(run);
    const result = await run.done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\[LOCAL_FILE_MISSING\].*nope\.db/);
    // With --json the error is one JSON line too.
    const json = spawnHesap(['db', 'watch', '--local', missing, '--remote', pg.url, '--json']);
    running.push(json);
    const asJson = await json.done;
    expect(asJson.code).toBe(2);
    expect(asJson.stdout.endsWith('\n') && asJson.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(asJson.stdout)).toEqual({ error: expect.objectContaining({ code: 'LOCAL_FILE_MISSING', message: expect.stringContaining('nope.db') }) });
    expect(fs.existsSync(missing)).toBe(false);
  });
});
