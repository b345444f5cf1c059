import * as fs from 'node:fs';
import * as path from 'node:path';
import { verify } from '@hesap/api';
import {
  createTestDatabase,
  fileSha256,
  hesapTempFiles,
  openSqlite,
  phaseWindow,
  runHesap,
  spawnHesap,
  tempDir,
  waitFor,
  writeOldLocalFile,
  type TestDatabase,
} from '@hesap/test-support';

/**
 * `hesap db pull` interrupted at random points while it writes the new file: the old local
 * file must stay byte for byte; after SIGINT no temporary file remains; after SIGKILL the
 * temporary file of the dead process is left, and the next pull removes it and succeeds.
 */

const randomDelay = (min: number, max: number) => Math.floor(min + Math.random() * (max - min));

describe('hesap db pull, interrupted by a signal', () => {
  const tmp = tempDir('hesap-sig-pull');
  let pg: TestDatabase;
  const file = path.join(tmp.dir, 'app.db');
  let sha: string;
  /** How long a pull writes its new file on this machine, from when the file appears to the end. */
  let writeWindowMs = 0;
  const pullArgs = () => ['db', 'pull', '--local', file, '--remote', pg.url, '--yes'];

  beforeAll(async () => {
    pg = await createTestDatabase('sig_pull');
    await pg.query(`
      CREATE TABLE parents (id bigint PRIMARY KEY, name text NOT NULL, score double precision);
      CREATE TABLE children (id bigint PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parents (id), note text);
      INSERT INTO parents SELECT i, 'parent ' || i, i * 0.25 FROM generate_series(1, 100000) i;
      INSERT INTO children SELECT i, (i - 1) / 4 + 1, i || ':' || repeat('n', 80) FROM generate_series(1, 400000) i;`);
    // The signals below must land while the new file is written: measure how long that lasts here.
    writeOldLocalFile(file);
    const timed = await phaseWindow('pull write window', pullUntilWriting);
    expect(timed.code).toBe(0);
    writeWindowMs = timed.ms;
    expect(writeWindowMs).toBeGreaterThan(300);
  }, 120_000);
  beforeEach(() => {
    sha = writeOldLocalFile(file);
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  /** Row counts and sums of the pulled file, and the same of the remote: equal when the file is complete. */
  const SUMMARY = "SELECT (SELECT count(*) FROM parents) AS p, (SELECT sum(id) FROM children) AS c, (SELECT sum(length(note)) FROM children) AS n";
  async function summary(local: string) {
    const db = openSqlite(local);
    try {
      const r = db.prepare(SUMMARY).get() as { p: number; c: number; n: number };
      return { p: String(r.p), c: String(r.c), n: String(r.n) };
    } finally {
      db.close();
    }
  }
  const remoteSummary = async () => {
    const [r] = await pg.query<{ p: string; c: string; n: string }>(SUMMARY.replace(/ AS (\w)/g, '::text AS $1'));
    return r;
  };

  /**
   * A kill inside the install transaction leaves a hot journal: the next connection that reads
   * the file (the app's, or hesap's) rolls it back, byte for byte, before anyone sees a page.
   */
  function recoverAsTheAppWould(local: string) {
    const db = openSqlite(local);
    try {
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
    } finally {
      db.close();
    }
  }

  /** Starts a pull; resolves when its temporary file exists (the new database is being written). */
  async function pullUntilWriting() {
    const run = spawnHesap(pullArgs());
    await waitFor(() => hesapTempFiles(tmp.dir).length > 0 || run.child.exitCode !== null, { timeoutMs: 30_000, intervalMs: 10, what: 'the pull to start writing' });
    expect(run.child.exitCode).toBeNull();
    return run;
  }

  it.each([1, 2])('SIGINT at a random moment of the transfer (#%i): exit 1 with [INTERRUPTED], the old file byte for byte, no temporary file', async () => {
    const run = await pullUntilWriting();
    const delay = randomDelay(0, writeWindowMs / 2);
    await new Promise((r) => setTimeout(r, delay));
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGINT');
    const result = await run.done;
    expect({ delay, code: result.code, stderr: result.stderr }).toMatchObject({ code: 1 });
    expect(result.stderr.split('\n').filter((l) => /^Error /.test(l))).toEqual([expect.stringMatching(/^Error \[INTERRUPTED\] Stopped \(SIGINT received\)/)]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fileSha256(file)).toBe(sha);
    expect(hesapTempFiles(tmp.dir)).toEqual([]);
  });

  it.each([1, 2])('SIGKILL at a random moment (#%i): the old file byte for byte; the next pull removes the leftover and succeeds', async () => {
    const run = await pullUntilWriting();
    const delay = randomDelay(0, writeWindowMs / 2);
    await new Promise((r) => setTimeout(r, delay));
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGKILL');
    const result = await run.done;
    expect(result.signal).toBe('SIGKILL');
    recoverAsTheAppWould(file);
    expect(fileSha256(file)).toBe(sha);
    // What the killed process could not clean up: its temporary file, named with its pid.
    const leftovers = hesapTempFiles(tmp.dir);
    expect(leftovers).toEqual([expect.stringContaining(`.hesap-${run.pid}-`)]);
    const next = await runHesap([...pullArgs(), '--json']);
    expect({ code: next.code, stderr: next.stderr }).toEqual({ code: 0, stderr: '' });
    expect(hesapTempFiles(tmp.dir)).toEqual([]);
    expect(await summary(file)).toEqual(await remoteSummary());
  });

  it('a leftover of a live process is not touched; two pulls of the same file do not remove each other\'s work', async () => {
    // A temporary file named for this (live) test process: another pull at work, as far as hesap can tell.
    const live = path.join(tmp.dir, `.app.db.hesap-${process.pid}-0badc0de.tmp`);
    fs.writeFileSync(live, 'in progress');
    const next = await runHesap([...pullArgs(), '--json']);
    expect(next.code).toBe(0);
    expect(fs.readFileSync(live, 'utf8')).toBe('in progress');
    fs.rmSync(live);
    expect(hesapTempFiles(tmp.dir)).toEqual([]);
  });

  it('a signal at a random moment from start-up to the end: the local file is the old one or the complete new one', async () => {
    const timed = await runHesap([...pullArgs(), '--json']);
    expect(timed.code).toBe(0);
    for (const signal of ['SIGINT', 'SIGKILL', 'SIGTERM'] as const) {
      sha = writeOldLocalFile(file);
      const run = spawnHesap(pullArgs());
      const delay = randomDelay(0, timed.durationMs);
      await new Promise((r) => setTimeout(r, delay));
      run.child.kill(signal);
      const result = await run.done;
      recoverAsTheAppWould(file);
      const old = fileSha256(file) === sha;
      if (!old) expect({ signal, delay, same: (await verify({ local: file, remote: pg.url })).same }).toEqual({ signal, delay, same: true });
      if (result.code === 1) expect({ signal, delay, old }).toEqual({ signal, delay, old: true });
      if (result.code === 0) expect({ signal, delay, old }).toEqual({ signal, delay, old: false });
      // Only a killed process leaves its temporary file (SIGKILL, or a signal before hesap set its handler).
      if (result.code !== null) expect(hesapTempFiles(tmp.dir)).toEqual([]);
      for (const leftover of hesapTempFiles(tmp.dir)) fs.rmSync(path.join(tmp.dir, leftover));
    }
  });
});
