import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ContentChecksum, HesapError, parseCsv, type NeutralType } from '@hesap/core';
import {
  buildEdgeValueDatabase,
  createTestDatabase,
  describePeerData,
  dumpSqlite,
  openSqlite,
  tempDir,
  type DatabaseDump,
  type TestDatabase,
} from '@hesap/test-support';
import { pull, snapshot, type SnapshotCreateResult } from '@hesap/api';

/**
 * Snapshots end to end, with real SQLite files and a real PostgreSQL: what goes in comes
 * back identical (value and storage class, keys, sequences), a damaged or hostile
 * snapshot is refused before the target is touched, and the snapshot folder behaves
 * (modes, order, prune).
 */

const tablesOf = (dump: DatabaseDump) => ({ tables: dump.tables, sequences: dump.sequences });

async function failure(p: Promise<unknown>): Promise<HesapError & { file?: string }> {
  try {
    await p;
  } catch (error) {
    return error as HesapError & { file?: string };
  }
  throw new Error('expected the operation to fail');
}

async function publicTables(pg: TestDatabase): Promise<string[]> {
  const rows = await pg.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  return rows.map((r) => r.t);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

/** Rewrites a snapshot's manifest with its own checksum recomputed, as a forger would. */
function forge(dir: string, change: (doc: any) => void): void {
  const file = path.join(dir, 'manifest.json');
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete doc.manifestChecksum;
  change(doc);
  doc.manifestChecksum = sha256(JSON.stringify(doc));
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
}

describe('snapshot round trips', () => {
  const tmp = tempDir('hesap-snapshot-rt');
  const dir = path.join(tmp.dir, 'snapshots');
  const edge = path.join(tmp.dir, 'edge.db');
  let created: SnapshotCreateResult;

  beforeAll(async () => {
    buildEdgeValueDatabase(edge);
    created = await snapshot.create({ from: edge, kind: 'local', dir });
  });
  afterAll(() => tmp.cleanup());

  it('a snapshot of the edge-value database holds every table and row, in one folder', () => {
    const before = dumpSqlite(edge);
    expect(created.tables.map((t) => t.table).sort()).toEqual(Object.keys(before.tables).sort());
    for (const t of created.tables) expect([t.table, t.rows]).toEqual([t.table, before.tables[t.table]!.rows.length]);
    expect(created.snapshot).toMatchObject({ tables: Object.keys(before.tables).length, source: { kind: 'local', adapter: 'sqlite', location: edge } });
    expect(created.snapshot.path).toBe(path.join(dir, created.snapshot.name));
    expect(fs.readdirSync(dir)).toEqual([created.snapshot.name]);
  });

  it('compresses fast by default; compressionLevel trades time for size, and either restores the same', async () => {
    const level9 = await snapshot.create({ from: edge, kind: 'local', dir: path.join(tmp.dir, 'level9'), compressionLevel: 9 });
    const stored = (r: SnapshotCreateResult) => r.tables.reduce((n, t) => n + fs.statSync(path.join(r.snapshot.path, t.file)).size, 0);
    expect(stored(level9)).toBeLessThan(stored(created));
    // The content is the same whatever the level: the same rows, inflating to the same bytes.
    expect(level9.tables.map((t) => [t.table, t.rows, t.bytes])).toEqual(created.tables.map((t) => [t.table, t.rows, t.bytes]));
    const restored = path.join(tmp.dir, 'from-level9.db');
    expect((await snapshot.restore({ snapshot: level9.snapshot.path, to: restored })).check.ok).toBe(true);
    expect(dumpSqlite(restored)).toEqual(dumpSqlite(edge));
  });

  it('restored into a new SQLite file: every row identical (value and storage class), every key and sequence back', async () => {
    const restored = path.join(tmp.dir, 'restored.db');
    const result = await snapshot.restore({ snapshot: created.snapshot.name, dir, to: restored });
    expect(result.check.ok).toBe(true);
    expect(result.check.tables.every((t) => t.status === 'same' && t.rows === t.expectedRows)).toBe(true);
    expect(dumpSqlite(restored)).toEqual(dumpSqlite(edge));
  });

  it('restored into an empty PostgreSQL database: a pull of it gives back the original, with real constraints', async () => {
    const pg = await createTestDatabase('snap_rt');
    try {
      const result = await snapshot.restore({ snapshot: 'latest', dir, to: pg.url });
      expect(result.check.ok).toBe(true);
      expect(result.check.tables).toHaveLength(created.tables.length);
      const pulled = path.join(tmp.dir, 'pulled.db');
      await pull({ local: pulled, remote: pg.url });
      expect(dumpSqlite(pulled)).toEqual(dumpSqlite(edge));
      const constraints = await pg.query<{ table: string; type: string }>(
        `SELECT conrelid::regclass::text AS table, contype AS type FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
      );
      const of = (table: string) => constraints.filter((c) => c.table === table).map((c) => c.type);
      expect(of('"user"')).toEqual(['p', 'u']);
      expect(of('edge_tree')).toEqual(['f', 'p']);
      expect(of('edge_pair_child')).toEqual(['f', 'p']);
      // AUTOINCREMENT had handed out 3 before the gap: the next id is 4, as in SQLite.
      const [seq] = await pg.query<{ id: string }>(`INSERT INTO edge_seq (v) VALUES ('d') RETURNING id::text AS id`);
      expect(seq!.id).toBe('4');

      // And a snapshot of PostgreSQL itself restores into SQLite as the original.
      await pg.query(`DELETE FROM edge_seq WHERE v = 'd'`);
      const fromRemote = await snapshot.create({ from: pg.url, kind: 'remote', dir: path.join(tmp.dir, 'remote-snapshots') });
      expect(fromRemote.snapshot.source).toMatchObject({ kind: 'remote', adapter: 'postgres' });
      const back = path.join(tmp.dir, 'from-remote.db');
      const restored = await snapshot.restore({ snapshot: fromRemote.snapshot.path, to: back });
      expect(restored.check.ok).toBe(true);
      const original = dumpSqlite(edge);
      // The row added and deleted in PostgreSQL moved the sequence on, as it would in SQLite.
      expect(dumpSqlite(back)).toEqual({ ...original, sequences: { ...original.sequences, edge_seq: '4' } });
    } finally {
      await pg.drop();
    }
  });

  describePeerData('Chinook, read in place', (peer) => {
    it('restored into a new SQLite file and into an empty PostgreSQL database: every row and key back', async () => {
      const chinook = path.join(peer, 'chinook', 'Chinook_Sqlite.sqlite');
      const before = dumpSqlite(chinook);
      const made = await snapshot.create({ from: chinook, kind: 'local', dir: path.join(tmp.dir, 'chinook-snapshots') });
      expect(made.snapshot.rows).toBe(Object.values(before.tables).reduce((n, t) => n + t.rows.length, 0));
      const restored = path.join(tmp.dir, 'chinook.db');
      expect((await snapshot.restore({ snapshot: made.snapshot.path, to: restored })).check.ok).toBe(true);
      expect(tablesOf(dumpSqlite(restored))).toEqual(tablesOf(before));
      const pg = await createTestDatabase('snap_chinook');
      try {
        expect((await snapshot.restore({ snapshot: made.snapshot.path, to: pg.url })).check.ok).toBe(true);
        const pulled = path.join(tmp.dir, 'chinook-pulled.db');
        await pull({ local: pulled, remote: pg.url });
        expect(tablesOf(dumpSqlite(pulled))).toEqual(tablesOf(before));
        const fks = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`);
        expect(Number(fks[0]!.n)).toBe(11);
      } finally {
        await pg.drop();
      }
    });
  });
});

describe('damaged and hostile snapshots', () => {
  const tmp = tempDir('hesap-snapshot-bad');
  const dir = path.join(tmp.dir, 'snapshots');
  const edge = path.join(tmp.dir, 'edge.db');
  const existing = path.join(tmp.dir, 'existing.db');
  let good: SnapshotCreateResult;
  let pg: TestDatabase;
  let n = 0;

  beforeAll(async () => {
    buildEdgeValueDatabase(edge);
    good = await snapshot.create({ from: edge, kind: 'local', dir });
    pg = await createTestDatabase('snap_bad');
    const db = openSqlite(existing);
    db.exec(`CREATE TABLE kept (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO kept VALUES (1, 'old');`);
    db.close();
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  /** A copy of the good snapshot, in the snapshot folder, to spoil. */
  function variant(): { name: string; path: string } {
    const name = `variant-${++n}`;
    fs.cpSync(good.snapshot.path, path.join(dir, name), { recursive: true });
    return { name, path: path.join(dir, name) };
  }

  /** Restore into PostgreSQL and into an existing SQLite file is refused, naming `file`, and neither changes. */
  async function expectRestoreRefused(name: string, file: string, message: RegExp): Promise<void> {
    const before = fs.readFileSync(existing);
    for (const to of [pg.url, existing]) {
      const error = await failure(snapshot.restore({ snapshot: name, dir, to }));
      expect(error).toBeInstanceOf(HesapError);
      expect(error.code).toBe('SNAPSHOT_INVALID');
      expect(error.file).toBe(file);
      expect(error.message).toContain(file);
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/nothing was restored/);
    }
    expect(await publicTables(pg)).toEqual([]);
    expect(fs.readFileSync(existing).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.includes('.hesap-'))).toEqual([]);
  }

  it('one flipped byte in any data file makes verify fail naming exactly that file', async () => {
    const files = good.tables.map((t) => t.file);
    expect(files.length).toBeGreaterThan(10);
    const v = variant();
    for (const file of files) {
      const full = path.join(v.path, file);
      const original = fs.readFileSync(full);
      const bytes = Buffer.from(original);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x20;
      fs.writeFileSync(full, bytes);
      const result = await snapshot.verify({ snapshot: v.name, dir });
      expect([file, result.ok]).toEqual([file, false]);
      expect(result.problems.map((p) => p.file)).toEqual([file]);
      expect(result.tables.filter((t) => t.status === 'damaged').map((t) => t.file)).toEqual([file]);
      fs.writeFileSync(full, original);
    }
    expect((await snapshot.verify({ snapshot: v.name, dir })).ok).toBe(true);
  });

  it('a flipped byte: restore is refused and neither target is touched', async () => {
    const v = variant();
    const file = good.tables[good.tables.length - 1]!.file;
    const full = path.join(v.path, file);
    const bytes = fs.readFileSync(full);
    bytes[bytes.length - 12]! ^= 0x01;
    fs.writeFileSync(full, bytes);
    await expectRestoreRefused(v.name, file, /changed or damaged|cannot be read/);
  });

  it('a truncated data file: verify and restore fail naming it', async () => {
    const v = variant();
    const big = [...good.tables].sort((a, b) => b.compressedBytes - a.compressedBytes)[0]!;
    fs.truncateSync(path.join(v.path, big.file), Math.floor(big.compressedBytes / 2));
    const result = await snapshot.verify({ snapshot: v.name, dir });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([{ file: big.file, table: big.table, message: expect.stringMatching(/truncated/) }]);
    await expectRestoreRefused(v.name, big.file, /truncated/);
  });

  it('an edited manifest: verify and restore fail naming manifest.json', async () => {
    const v = variant();
    const file = path.join(v.path, 'manifest.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"kind": "local"', '"kind": "remote"'));
    const result = await snapshot.verify({ snapshot: v.name, dir });
    expect(result).toMatchObject({ ok: false, problems: [{ file: 'manifest.json' }] });
    await expectRestoreRefused(v.name, 'manifest.json', /edited or damaged/);
  });

  it.each([
    ['a data file named ../x', (doc: any) => (doc.tables[0].file = '../x'), '../x', /not a plain file name/],
    ['an absolute data file path', (doc: any) => (doc.tables[0].file = '/etc/passwd'), '/etc/passwd', /not a plain file name/],
    ['an unknown format version', (doc: any) => (doc.formatVersion = 99), 'manifest.json', /format version 99/],
    [
      'a row count that disagrees with its file',
      (doc: any) => {
        const t = doc.tables.find((x: { table: string }) => x.table === 'edge_text');
        t.rows += 1;
        t.checksum = t.checksum.replace(/^\d+:/, `${t.rows}:`);
      },
      'edge_text',
      /holds 26 rows, but the manifest says 27/,
    ],
  ])('a hostile manifest (%s) is refused, and nothing is left written', async (_label, change, file, message) => {
    const v = variant();
    forge(v.path, change);
    const named = file === 'edge_text' ? good.tables.find((t) => t.table === 'edge_text')!.file : file;
    await expectRestoreRefused(v.name, named, message);
  });

  it('a data file that is a symbolic link is refused before anything is written', async () => {
    const v = variant();
    const file = good.tables[0]!.file;
    fs.renameSync(path.join(v.path, file), path.join(tmp.dir, 'moved.gz'));
    fs.symlinkSync(path.join(tmp.dir, 'moved.gz'), path.join(v.path, file));
    await expectRestoreRefused(v.name, file, /symbolic link/);
  });

  it('a gzip bomb is refused (inflating stops at the declared size), and nothing is left written', async () => {
    const v = variant();
    const entry = good.tables.find((t) => t.table === 'edge_int')!;
    const bomb = zlib.gzipSync(Buffer.alloc(32 * 1024 * 1024, 0x31), { level: 9 });
    fs.writeFileSync(path.join(v.path, entry.file), bomb);
    forge(v.path, (doc) => {
      const t = doc.tables.find((x: { table: string }) => x.table === 'edge_int');
      t.sha256 = sha256(bomb);
      t.compressedBytes = bomb.length;
    });
    await expectRestoreRefused(v.name, entry.file, new RegExp(`inflates past ${entry.bytes} bytes`));
  });

  it('a snapshot that does not exist is SNAPSHOT_MISSING, and the hint lists what there is', async () => {
    const error = await failure(snapshot.restore({ snapshot: 'no-such-snapshot', dir, to: pg.url }));
    expect(error.code).toBe('SNAPSHOT_MISSING');
    expect(error.hints.join(' ')).toContain(good.snapshot.name);
    expect(await publicTables(pg)).toEqual([]);
  });
});

describe('big tables (checksummed on the checksum thread)', () => {
  const tmp = tempDir('hesap-snapshot-big');
  const dir = path.join(tmp.dir, 'snapshots');
  const file = path.join(tmp.dir, 'big.db');
  const ROWS = 60_000;
  let made: SnapshotCreateResult;
  let pg: TestDatabase;

  beforeAll(async () => {
    const db = openSqlite(file);
    db.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, amount NUMERIC(10,2), data BLOB, flag BOOLEAN)`);
    const insert = db.prepare('INSERT INTO big VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= ROWS; i++) {
        const name = i % 97 === 0 ? null : i % 89 === 0 ? '' : `name ${i} "quoted", şeker\nline ${'x'.repeat(i % 40)}`;
        insert.run(i, name, i % 13 === 0 ? null : (i / 8).toFixed(2), i % 10 === 0 ? Buffer.from([i & 255, 0, 255, i >> 8]) : null, i % 3 === 0 ? 1 : 0);
      }
    })();
    db.close();
    made = await snapshot.create({ from: file, kind: 'local', dir });
    pg = await createTestDatabase('snap_big');
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('the manifest holds the checksum of the rows as parsed (the byte-reading thread agrees with the string path)', () => {
    const [entry] = made.tables;
    expect(entry!.bytes).toBeGreaterThan(4 * 1024 * 1024);
    const manifest = JSON.parse(fs.readFileSync(path.join(made.snapshot.path, 'manifest.json'), 'utf8'));
    const table = manifest.schema.tables[0];
    const sum = new ContentChecksum(table.columns.map((c: { type: NeutralType }) => c.type));
    for (const row of parseCsv(zlib.gunzipSync(fs.readFileSync(path.join(made.snapshot.path, entry!.file))))) sum.add(row);
    expect(manifest.tables[0].checksum).toBe(sum.digest());
    expect(sum.rows).toBe(ROWS);
  });

  it('verifies, and restores into SQLite and PostgreSQL with every row read back the same', async () => {
    expect((await snapshot.verify({ snapshot: made.snapshot.path })).ok).toBe(true);
    const back = path.join(tmp.dir, 'back.db');
    const local = await snapshot.restore({ snapshot: made.snapshot.path, to: back });
    expect(local.check.tables.map((t) => [t.status, t.rows])).toEqual([['same', ROWS]]);
    expect(dumpSqlite(back)).toEqual(dumpSqlite(file));
    const remote = await snapshot.restore({ snapshot: made.snapshot.path, to: pg.url });
    expect(remote.check.tables.map((t) => [t.status, t.rows])).toEqual([['same', ROWS]]);
  });

  /** A copy of the snapshot whose data file is `change`d CSV, its SHA-256 and sizes forged to match. */
  function spoiled(name: string, change: (csv: string) => string): string {
    const where = path.join(tmp.dir, name);
    fs.cpSync(made.snapshot.path, where, { recursive: true });
    const data = path.join(where, made.tables[0]!.file);
    const csv = Buffer.from(change(zlib.gunzipSync(fs.readFileSync(data)).toString('utf8')), 'utf8');
    const gz = zlib.gzipSync(csv);
    fs.writeFileSync(data, gz);
    forge(where, (doc) => {
      Object.assign(doc.tables[0], { sha256: sha256(gz), bytes: csv.length, compressedBytes: gz.length });
    });
    return where;
  }

  it('a changed value in the middle of a big table: verify and restore fail on the content checksum, nothing restored', async () => {
    const where = spoiled('changed', (csv) => csv.replace('name 30001 ', 'name 30001!'));
    expect((await snapshot.verify({ snapshot: where })).problems.map((p) => p.message).join(' ')).toMatch(/content checksum differs/);
    const error = await failure(snapshot.restore({ snapshot: where, to: path.join(tmp.dir, 'not-there.db') }));
    expect(error.code).toBe('SNAPSHOT_INVALID');
    expect(fs.existsSync(path.join(tmp.dir, 'not-there.db'))).toBe(false);
  });

  it('a row with a field missing in a big table is named by its row number', async () => {
    // Row 30070 has a NULL name, so its line holds no line break of its own.
    const where = spoiled('short-row', (csv) => csv.replace(/\n30070,[^\n]*\n/, '\n30070,,\n'));
    const check = await snapshot.verify({ snapshot: where });
    expect(check.problems.map((p) => p.message).join(' ')).toMatch(/has 3 fields in row 30070 for 5 columns/);
  });
});

describe('the snapshot folder', () => {
  const tmp = tempDir('hesap-snapshot-dir');
  const dir = path.join(tmp.dir, 'nested', 'snapshots');
  const local = path.join(tmp.dir, 'small.db');

  beforeAll(() => {
    const db = openSqlite(local);
    db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');`);
    db.close();
  });
  afterAll(() => tmp.cleanup());

  it('folders are 0700 and files 0600, whatever the umask', async () => {
    const old = process.umask(0o000);
    try {
      const { snapshot: s } = await snapshot.create({ from: local, kind: 'local', dir });
      expect(modeOf(path.join(tmp.dir, 'nested'))).toBe(0o700);
      expect(modeOf(dir)).toBe(0o700);
      expect(modeOf(s.path)).toBe(0o700);
      const files = fs.readdirSync(s.path);
      expect(files.sort()).toEqual(['0001-t.csv.gz', 'manifest.json']);
      for (const f of files) expect([f, modeOf(path.join(s.path, f))]).toEqual([f, 0o600]);
    } finally {
      process.umask(old);
    }
  });

  it('lists newest first, and HESAP_SNAPSHOT_DIR is the default folder', async () => {
    const made: string[] = [(await snapshot.list({ dir })).snapshots[0]!.name];
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 15));
      made.push((await snapshot.create({ from: local, kind: i % 2 ? 'local' : 'other', dir })).snapshot.name);
    }
    const listed = await snapshot.list({ dir });
    expect(listed.snapshots.map((s) => s.name)).toEqual([...made].reverse());
    const times = listed.snapshots.map((s) => Date.parse(s.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(listed.snapshots[0]).toMatchObject({ tables: 1, rows: 2, source: { location: local } });
    expect(listed.snapshots[0]!.size).toBe(fs.readdirSync(listed.snapshots[0]!.path).reduce((n, f) => n + fs.statSync(path.join(listed.snapshots[0]!.path, f)).size, 0));
    const saved = process.env.HESAP_SNAPSHOT_DIR;
    process.env.HESAP_SNAPSHOT_DIR = dir;
    try {
      expect((await snapshot.list()).snapshots.map((s) => s.name)).toEqual([...made].reverse());
    } finally {
      if (saved === undefined) delete process.env.HESAP_SNAPSHOT_DIR;
      else process.env.HESAP_SNAPSHOT_DIR = saved;
    }
  });

  it('an interrupted create (SIGINT in the CLI: an aborted signal) leaves no snapshot and no temporary folder', async () => {
    const before = fs.readdirSync(dir).sort();
    const abort = new AbortController();
    const error = await failure(
      snapshot.create({
        from: local,
        dir,
        onProgress: (e) => {
          if (e.phase === 'start') abort.abort(new Error('SIGINT received'));
        },
        signal: abort.signal,
      }),
    );
    expect(error.code).toBe('INTERRUPTED');
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });

  it('prune keeps the newest N, removes by age, and never removes the only (or newest) snapshot', async () => {
    const all = (await snapshot.list({ dir })).snapshots;
    expect(all).toHaveLength(4);
    await expect(snapshot.prune({ dir })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(snapshot.prune({ dir, keep: 0 })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(snapshot.prune({ dir, olderThan: 'soon' })).rejects.toMatchObject({ code: 'USAGE' });

    const dry = await snapshot.prune({ dir, keep: 2, dryRun: true });
    expect(dry.removed.map((s) => s.name)).toEqual(all.slice(2).map((s) => s.name));
    expect((await snapshot.list({ dir })).snapshots).toHaveLength(4);

    // Nothing is older than a day yet.
    expect((await snapshot.prune({ dir, olderThan: '1d' })).removed).toEqual([]);
    const kept = await snapshot.prune({ dir, keep: 3 });
    expect(kept.removed.map((s) => s.name)).toEqual([all[3]!.name]);
    expect(fs.existsSync(all[3]!.path)).toBe(false);

    // Everything is older than an hour, a day from now; the newest stays anyway.
    const later = new Date(Date.now() + 86_400_000);
    const aged = await snapshot.prune({ dir, olderThan: '1h', now: later });
    expect(aged.removed.map((s) => s.name)).toEqual([all[1]!.name, all[2]!.name]);
    expect((await snapshot.list({ dir })).snapshots.map((s) => s.name)).toEqual([all[0]!.name]);
    expect((await snapshot.prune({ dir, keep: 1, olderThan: '0s', now: later })).removed).toEqual([]);
    expect((await snapshot.list({ dir })).snapshots.map((s) => s.name)).toEqual([all[0]!.name]);
    expect(fs.readdirSync(dir)).toEqual([all[0]!.name]);
  });
});

describe('restore --mode merge', () => {
  const tmp = tempDir('hesap-snapshot-merge');
  let pg: TestDatabase;

  beforeAll(async () => {
    pg = await createTestDatabase('snap_merge');
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('puts back rows deleted since the snapshot and keeps rows added since; tables it merged are counted, not compared', async () => {
    const local = path.join(tmp.dir, 'app.db');
    const db = openSqlite(local);
    db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
             INSERT INTO users VALUES (1, 'a@example.com', 'A'), (2, 'b@example.com', 'B'), (3, 'c@example.com', 'C');`);
    db.close();
    const made = await snapshot.create({ from: local, dir: path.join(tmp.dir, 'snapshots') });
    expect((await snapshot.restore({ snapshot: made.snapshot.path, to: pg.url })).check.tables).toEqual([
      expect.objectContaining({ table: 'users', status: 'same', rows: 3 }),
    ]);
    await pg.query(`DELETE FROM users WHERE id = 2; INSERT INTO users (id, email, name) VALUES (10, 'z@example.com', 'Z')`);
    const merged = await snapshot.restore({ snapshot: made.snapshot.path, to: pg.url, mode: 'merge' });
    expect(merged.tables.map((t) => [t.table, t.action, t.inserted, t.unchanged])).toEqual([['users', 'merge', 1, 2]]);
    expect(merged.check).toEqual({ ok: true, tables: [expect.objectContaining({ table: 'users', status: 'merged', rows: 4, expectedRows: 3 })] });
    const rows = await pg.query<{ email: string }>(`SELECT email FROM users ORDER BY email`);
    expect(rows.map((r) => r.email)).toEqual(['a@example.com', 'b@example.com', 'c@example.com', 'z@example.com']);
  });
});
