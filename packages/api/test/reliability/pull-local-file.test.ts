import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { pull, push, snapshot, status, verify } from '@hesap/api';
import {
  createTestDatabase,
  fileSha256,
  hesapBin,
  hesapTempFiles,
  openSqlite,
  rejectionOf,
  runHesap,
  tempDir,
  writeOldLocalFile,
  type TestDatabase,
} from '@hesap/test-support';

/**
 * The local file stays the app's file: owner, group, mode and symlinks kept; a path that
 * is not a SQLite database refused and left byte for byte; full, read-only and forbidden
 * disks named; numeric values SQLite cannot hold exactly refused (never rounded); tables
 * of other PostgreSQL schemas pulled by name or listed as left out, and never counted as
 * in sync unread.
 */

const isRoot = process.getuid?.() === 0;

/** Mounts a tmpfs of `size` on `dir` (root only); false when this machine does not allow it. */
function mountTmpfs(dir: string, size: string): boolean {
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const probe = tempDir('hesap-mount-probe');
const canMount = isRoot && mountTmpfs(path.join(probe.dir, 'm'), '1m');
if (canMount) execFileSync('umount', [path.join(probe.dir, 'm')]);
probe.cleanup();
if (!canMount) process.stderr.write('pull-local-file: cannot mount a tmpfs here (needs root); the disk-full and read-only cases are skipped.\n');
if (!isRoot) process.stderr.write('pull-local-file: not root; the owner and permission cases are skipped.\n');
const withMount = canMount ? it : it.skip;
const asRoot = isRoot ? it : it.skip;

function rows(file: string, sql: string): unknown[] {
  const db = openSqlite(file);
  try {
    return db.prepare(sql).safeIntegers(true).all();
  } finally {
    db.close();
  }
}

describe('the local file a pull or restore writes', () => {
  const tmp = tempDir('hesap-local-file');
  let pg: TestDatabase;
  let snapshotPath: string;

  beforeAll(async () => {
    pg = await createTestDatabase('local_file');
    await pg.query(`
      CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
      INSERT INTO items SELECT i, 'remote ' || i FROM generate_series(1, 200) i;`);
    snapshotPath = (await snapshot.create({ from: pg.url, kind: 'remote', dir: path.join(tmp.dir, 'snapshots') })).snapshot.path;
  }, 60_000);
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  const operations = [
    { name: 'pull', run: (local: string) => pull({ local, remote: pg.url, attempts: 1 }) },
    { name: 'snapshot restore --to local', run: (local: string) => snapshot.restore({ snapshot: snapshotPath, to: local, attempts: 1 }) },
  ];
  const itemCount = (file: string) => rows(file, 'SELECT count(*) AS n FROM items');

  describe.each(operations)('$name', (op) => {
    asRoot('keeps the owner, group and mode of the file', async () => {
      const file = path.join(tmp.dir, `owned-${op.name.length}.db`);
      writeOldLocalFile(file);
      fs.chownSync(file, 65534, 65534);
      fs.chmodSync(file, 0o640);
      await op.run(file);
      const st = fs.statSync(file);
      expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({ uid: 65534, gid: 65534, mode: 0o640 });
      expect(itemCount(file)).toEqual([{ n: 200n }]);
    });

    it('follows a symlink: the link stays, its target gets the content (also a target not made yet)', async () => {
      const real = path.join(tmp.dir, `real-${op.name.length}`);
      fs.mkdirSync(real, { recursive: true });
      const existing = path.join(real, 'app.db');
      writeOldLocalFile(existing);
      const link = path.join(tmp.dir, `link-${op.name.length}.db`);
      fs.rmSync(link, { force: true });
      fs.symlinkSync(existing, link);
      const inode = fs.statSync(existing).ino;
      await op.run(link);
      expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
      expect(fs.readlinkSync(link)).toBe(existing);
      expect(itemCount(existing)).toEqual([{ n: 200n }]);
      // Written in place: the same file, not a new one renamed over it.
      expect(fs.statSync(existing).ino).toBe(inode);

      const dangling = path.join(tmp.dir, `dangling-${op.name.length}.db`);
      fs.rmSync(dangling, { force: true });
      fs.symlinkSync(path.join(real, 'new.db'), dangling);
      await op.run(dangling);
      expect(fs.lstatSync(dangling).isSymbolicLink()).toBe(true);
      expect(itemCount(path.join(real, 'new.db'))).toEqual([{ n: 200n }]);
    });

    it('refuses a file that is not a SQLite database, leaving it byte for byte', async () => {
      const file = path.join(tmp.dir, `notes-${op.name.length}.txt`);
      fs.writeFileSync(file, 'my notes, not a database\n'.repeat(20));
      const sha = fileSha256(file);
      const error = await rejectionOf<HesapError>(op.run(file));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'NOT_A_DATABASE', message: expect.stringContaining('is not a SQLite database') });
      expect(fileSha256(file)).toBe(sha);
      expect(hesapTempFiles(tmp.dir)).toEqual([]);
    });

    it('refuses a folder clearly', async () => {
      const dir = path.join(tmp.dir, `folder-${op.name.length}`);
      fs.mkdirSync(dir, { recursive: true });
      const error = await rejectionOf<HesapError>(op.run(dir));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'NOT_A_DATABASE', message: expect.stringContaining('is a folder') });
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  });

  it('a whole pull: the file\'s tables become the remote\'s, tables left out with --exclude stay, and so do views and user_version', async () => {
    await pg.query("CREATE TABLE extra (id int PRIMARY KEY); INSERT INTO extra VALUES (1)");
    const file = path.join(tmp.dir, 'whole.db');
    const db = openSqlite(file);
    db.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE extra (id INTEGER PRIMARY KEY, note TEXT);
      INSERT INTO extra VALUES (7, 'local'); CREATE TABLE mine (v TEXT); CREATE VIEW extras AS SELECT * FROM extra; PRAGMA user_version = 3;`);
    db.close();
    try {
      await pull({ local: file, remote: pg.url, exclude: ['extra'] });
    } finally {
      await pg.query('DROP TABLE extra');
    }
    expect(rows(file, "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite%' ORDER BY name")).toEqual([
      { type: 'table', name: 'extra' },
      { type: 'view', name: 'extras' },
      { type: 'table', name: 'items' },
    ]);
    expect(rows(file, 'SELECT * FROM extras')).toEqual([{ id: 7n, note: 'local' }]);
    expect(itemCount(file)).toEqual([{ n: 200n }]);
    expect(rows(file, 'PRAGMA user_version')).toEqual([{ user_version: 3n }]);
  });

  it('a whole pull keeps a table only the file has when --exclude names it', async () => {
    const file = path.join(tmp.dir, 'scratch.db');
    const db = openSqlite(file);
    db.exec(`CREATE TABLE scratch (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO scratch VALUES (1, 'mine'); CREATE TABLE gone (v TEXT);`);
    db.close();
    await pull({ local: file, remote: pg.url, exclude: ['scratch'] });
    expect(rows(file, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")).toEqual([{ name: 'items' }, { name: 'scratch' }]);
    expect(rows(file, 'SELECT * FROM scratch')).toEqual([{ id: 1n, note: 'mine' }]);
    expect(itemCount(file)).toEqual([{ n: 200n }]);
  });

  it('the CLI with --yes still refuses a text file, with the reason and exit 1', async () => {
    const file = path.join(tmp.dir, 'readme.txt');
    fs.writeFileSync(file, 'hello\n');
    const run = await runHesap(['db', 'pull', '--local', file, '--remote', pg.url, '--yes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error \[NOT_A_DATABASE\] .*readme\.txt exists and is not a SQLite database/m);
    expect(fs.readFileSync(file, 'utf8')).toBe('hello\n');
  });

  asRoot('a file the user may not write: PERMISSION_DENIED naming it, nothing changed', () => {
    const dir = path.join(tmp.dir, 'shared');
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(tmp.dir, 0o755);
    fs.chmodSync(dir, 0o755);
    const file = path.join(dir, 'root-owned.db');
    const sha = writeOldLocalFile(file);
    fs.chmodSync(file, 0o644);
    const env = { ...process.env, NO_COLOR: '1', HOME: dir };
    const run = spawnSync(process.execPath, [hesapBin(), 'db', 'pull', '--local', file, '--remote', pg.url, '--yes'], { uid: 65534, gid: 65534, env, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^Error \[PERMISSION_DENIED\] No permission: writing .*root-owned\.db was refused/m);
    expect(fileSha256(file)).toBe(sha);
  });

  describe('on a small or read-only disk', () => {
    const mnt = path.join(tmp.dir, 'mnt');
    afterEach(() => {
      if (canMount) spawnSync('umount', [mnt]);
    });

    withMount('the disk fills while the new content downloads: DISK_FULL, the old file byte for byte, no temporary file', async () => {
      expect(mountTmpfs(mnt, '1m')).toBe(true);
      const file = path.join(mnt, 'app.db');
      const sha = writeOldLocalFile(file);
      await pg.query(`CREATE TABLE bulky AS SELECT i AS id, repeat(md5(i::text), 40) AS filler FROM generate_series(1, 3000) i`);
      try {
        const error = await rejectionOf<HesapError>(pull({ local: file, remote: pg.url, tables: ['bulky'], attempts: 1 }));
        expect({ code: error.code, message: error.message }).toEqual({ code: 'DISK_FULL', message: expect.stringMatching(/disk is full.*MB free.*left as it was/) });
      } finally {
        await pg.query('DROP TABLE bulky');
      }
      expect(fileSha256(file)).toBe(sha);
      expect(hesapTempFiles(mnt)).toEqual([]);
    });

    withMount('the disk fills while the new content goes into the file: DISK_FULL with the space needed, the old content intact', async () => {
      expect(mountTmpfs(mnt, '1m')).toBe(true);
      const file = path.join(mnt, 'app.db');
      writeOldLocalFile(file);
      // About 600 kB: the temporary file fits, a second copy inside the file does not.
      await pg.query(`CREATE TABLE half AS SELECT i AS id, repeat(md5(i::text), 16) AS filler FROM generate_series(1, 1000) i`);
      try {
        const error = await rejectionOf<HesapError>(pull({ local: file, remote: pg.url, tables: ['half'], attempts: 1 }));
        expect({ code: error.code, message: error.message }).toEqual({
          code: 'DISK_FULL',
          message: expect.stringMatching(/installing the new content into .*app\.db failed \(it needs about [\d.]+ MB, [\d.]+ MB free\)/),
        });
      } finally {
        await pg.query('DROP TABLE half');
      }
      expect(rows(file, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(rows(file, "SELECT name FROM sqlite_schema WHERE type = 'table'")).toEqual([{ name: 'precious' }]);
      expect(hesapTempFiles(mnt)).toEqual([]);
    });

    withMount('a read-only file system: PERMISSION_DENIED saying so, nothing changed', async () => {
      expect(mountTmpfs(mnt, '1m')).toBe(true);
      const file = path.join(mnt, 'app.db');
      const sha = writeOldLocalFile(file);
      execFileSync('mount', ['-o', 'remount,ro', mnt]);
      const error = await rejectionOf<HesapError>(pull({ local: file, remote: pg.url, attempts: 1 }));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'PERMISSION_DENIED', message: expect.stringContaining('read-only') });
      expect(fileSha256(file)).toBe(sha);
    });
  });

  describe('numeric values', () => {
    beforeAll(async () => {
      await pg.query(`
        CREATE SCHEMA numerics;
        CREATE TABLE numerics.money (id int PRIMARY KEY, amount numeric(20,2));
        INSERT INTO numerics.money VALUES (1, 12.34), (2, 99999999999999.99);
        CREATE TABLE numerics.big (id int PRIMARY KEY, v numeric);
        INSERT INTO numerics.big VALUES (7, 123456789012345678.91);
        CREATE TABLE numerics.thirds (id int PRIMARY KEY, v numeric(1000,500));
        INSERT INTO numerics.thirds VALUES (1, 1::numeric / 3);
        CREATE TABLE numerics.fits (id int PRIMARY KEY, a numeric(20,2), b numeric, c numeric);
        INSERT INTO numerics.fits VALUES (1, 99999999999999, 123456789012345678, 0.12345678901234559);
        CREATE TABLE numerics.short (id int PRIMARY KEY, v numeric);
        INSERT INTO numerics.short VALUES (3, 0.1234567890123456);`);
    });
    afterAll(async () => {
      await pg.query('DROP SCHEMA numerics CASCADE');
    });
    const remote = () => `${pg.url}${pg.url.includes('?') ? '&' : '?'}schema=numerics`;

    it.each([
      ['money', 'amount', 'id=2', '99999999999999.99'],
      ['big', 'v', 'id=7', '123456789012345678.91'],
      ['thirds', 'v', 'id=1', '0.33333333333333333333'],
      // One double, but SQLite prints it back as 0.12345678901234559.
      ['short', 'v', 'id=3', '0.1234567890123456'],
    ])('%s: a value no SQLite INTEGER or REAL holds is refused naming table, column and row; the file unchanged', async (table, column, row, value) => {
      const file = path.join(tmp.dir, `numeric-${table}.db`);
      const sha = writeOldLocalFile(file);
      const error = await rejectionOf<HesapError>(pull({ local: file, remote: remote(), tables: [table], attempts: 1 }));
      expect({ code: error.code, table: error.table, column: error.column, row: error.row }).toEqual({ code: 'VALUE_UNREPRESENTABLE', table, column, row });
      expect(error.message).toContain(value);
      expect(fileSha256(file)).toBe(sha);
    });

    it('values of more than 15 digits that an INTEGER or a REAL holds exactly come back exactly', async () => {
      const file = path.join(tmp.dir, 'numeric-fits.db');
      await pull({ local: file, remote: remote(), tables: ['fits'] });
      expect(rows(file, 'SELECT a, typeof(b) AS tb, b, typeof(c) AS tc FROM fits')).toEqual([{ a: 99999999999999n, tb: 'integer', b: 123456789012345678n, tc: 'real' }]);
      expect(rows(file, 'SELECT CAST(c AS TEXT) AS c FROM fits')).toEqual([{ c: '0.12345678901234559' }]);
      expect((await verify({ local: file, remote: remote(), tables: ['fits'] })).same).toBe(true);
    });

    // The push side (issue 19, pushing into existing ORM-made tables): PostgreSQL would round a
    // SQLite REAL to the column's scale (1.005 -> 1.01); the push refuses it naming table, column and row.
    it('push: a REAL with more decimals than an existing numeric(10,2) column keeps is refused, not rounded', async () => {
      await pg.query('CREATE TABLE prices (id int PRIMARY KEY, p numeric(10,2))');
      const file = path.join(tmp.dir, 'prices.db');
      const db = openSqlite(file);
      db.exec('CREATE TABLE prices (id INTEGER PRIMARY KEY, p REAL); INSERT INTO prices VALUES (1, 1.005)');
      db.close();
      try {
        const error = await rejectionOf<HesapError>(push({ local: file, remote: pg.url, tables: ['prices'], mode: 'replace', attempts: 1 }));
        expect(error.code).toBe('VALUE_UNREPRESENTABLE');
      } finally {
        await pg.query('DROP TABLE prices');
      }
    });
  });

  describe('tables outside the public schema', () => {
    beforeAll(async () => {
      await pg.query(`
        CREATE SCHEMA audit;
        CREATE TABLE audit.events (id int PRIMARY KEY, what text NOT NULL);
        INSERT INTO audit.events SELECT i, 'event ' || i FROM generate_series(1, 25) i;`);
    });
    afterAll(async () => {
      await pg.query('DROP SCHEMA audit CASCADE');
    });

    it('are listed by name as left out, with the flag that brings them; status and verify never call them in sync', async () => {
      const file = path.join(tmp.dir, 'schemas.db');
      const result = await pull({ local: file, remote: pg.url });
      expect(result.tables.map((t) => t.table)).toEqual(['items']);
      expect(result.notes).toContainEqual(expect.objectContaining({ code: 'OTHER_SCHEMAS_LEFT_OUT', message: expect.stringMatching(/audit\.events.*--tables audit\.events/) }));

      const s = await status({ local: file, remote: pg.url });
      expect(s.inSync).toBe(false);
      expect(s.tables).toContainEqual({ table: 'audit.events', remote: 25, local: undefined, differs: true });
      const v = await verify({ local: file, remote: pg.url });
      expect(v.same).toBe(false);
      expect(v.tables).toContainEqual(expect.objectContaining({ table: 'audit.events', status: 'only-remote', remoteRows: 25 }));
    });

    it('--tables schema.table pulls one, under that name; then status and verify compare it', async () => {
      const file = path.join(tmp.dir, 'schemas-named.db');
      await pull({ local: file, remote: pg.url });
      const result = await pull({ local: file, remote: pg.url, tables: ['audit.events'] });
      expect(result.tables.map((t) => [t.table, t.received])).toEqual([['audit.events', 25]]);
      expect(rows(file, 'SELECT count(*) AS n FROM "audit.events"')).toEqual([{ n: 25n }]);
      expect((await status({ local: file, remote: pg.url })).inSync).toBe(true);
      const v = await verify({ local: file, remote: pg.url });
      expect(v.tables.map((t) => [t.table, t.status])).toEqual([
        ['audit.events', 'same'],
        ['items', 'same'],
      ]);
    });
  });
});
