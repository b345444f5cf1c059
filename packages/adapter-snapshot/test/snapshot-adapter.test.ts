import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { CONTENT_CHECKSUM_VERSION, ContentChecksum, DEFAULT_POLICIES, HesapError, parseCsv, planLoad, transfer, type Column, type NeutralType, type Schema, type Table } from '@hesap/core';
import { tempDir } from '@hesap/test-support';
import {
  MANIFEST_FILE,
  encodeManifest,
  SnapshotInvalidError,
  openTableData,
  readManifest,
  snapshotAdapter,
  verifySnapshot,
  type SnapshotManifest,
} from '@hesap/adapter-snapshot';

/**
 * The snapshot adapter on its own: what it writes (files, modes, manifest), what it
 * reads back, and how it refuses damaged and hostile snapshots. The round trips through
 * real SQLite and PostgreSQL databases are in packages/api/test/snapshot*.test.ts.
 */

/** A plain create, every value given as the API would resolve it. */
const CREATE = { mode: 'create', policies: DEFAULT_POLICIES, dryRun: false, strict: false, progressIntervalMs: 200, idleTimeoutSeconds: 60 } as const;
const col = (name: string, type: NeutralType, extra: Partial<Column> = {}): Column => ({ name, type, declaredType: type.toUpperCase(), nullable: true, ...extra });

const users: Table = {
  name: 'users',
  columns: [
    col('id', 'integer', { nullable: false, generated: true, default: { kind: 'literal', value: 9007199254740993n } }),
    col('email', 'text', { nullable: false }),
    col('photo', 'bytes'),
    col('score', 'float', { default: { kind: 'literal', value: -0 } }),
    col('joined', 'timestamp', { default: { kind: 'now', precision: 3 }, origin: { dialect: 'sqlite', type: 'DATETIME', default: 'CURRENT_TIMESTAMP' } }),
  ],
  primaryKey: { columns: ['id'] },
  uniques: [{ columns: ['email'] }],
  foreignKeys: [],
  indexes: [{ name: 'users_joined', columns: ['joined'], unique: false }],
  sequence: { column: 'id', lastValue: 2n ** 63n - 1n, strict: true },
};

const orders: Table = {
  name: 'order lines/../"weird"',
  columns: [col('id', 'integer', { nullable: false }), col('user_id', 'integer'), col('total', 'decimal', { precision: 10, scale: 2 }), col('paid', 'boolean')],
  primaryKey: { columns: ['id'] },
  uniques: [],
  foreignKeys: [{ columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'CASCADE', onUpdate: 'NO ACTION' }],
  indexes: [],
};

const empty: Table = { name: 'empty', columns: [col('id', 'integer')], uniques: [], foreignKeys: [], indexes: [] };

const CSV: Record<string, string> = {
  users: [
    '1,"ali@example.com",\\x00ff00,-0,2024-02-29 23:59:59',
    '9223372036854775807,"a ""quoted"", comma\r\nand lines",,Infinity,',
    '-9223372036854775808,"",\\x,1e-320,1970-01-01 00:00:00.5',
    '2,"😀 שלום \\N NULL \\.",\\x41,0.1,',
  ].join('\n') + '\n',
  [orders.name]: '1,1,10.50,t\n2,9223372036854775807,-0.01,f\n3,,,\n',
  empty: '',
};

const schema: Schema = {
  dialect: 'test',
  tables: [users, orders, empty],
  views: [{ name: 'v_users', sql: 'SELECT * FROM users' }],
  notes: [{ level: 'warning', code: 'SOMETHING', message: 'kept', table: 'users', column: 'email' }],
};

const inLoadOrder: Schema = { ...schema, tables: [empty, users, orders] };

const SECRET = 'Very-Secret-Pw';

/** Writes a snapshot of `schema` with the CSV above through the target's own contract, as the engine does. */
async function writeSnapshot(dir: string): Promise<SnapshotManifest> {
  const target = await snapshotAdapter.openTarget(`snapshot:${dir}`, {
    source: { kind: 'remote', adapter: 'postgres', location: `postgresql://app:${SECRET}@db.example.com/app` },
  });
  target.describeSource(schema);
  const plan = planLoad({
    source: schema,
    target: await target.introspect(),
    tables: schema.tables,
    mode: 'create',
    capabilities: snapshotAdapter.capabilities,
    policies: DEFAULT_POLICIES,
  });
  try {
    await target.begin(plan);
    for (const t of plan.tables) {
      const write = target.writeTable(t);
      // Chunks split anywhere, even inside a character.
      const bytes = Buffer.from(CSV[t.source.name]!, 'utf8');
      const chunks = [bytes.subarray(0, 7), bytes.subarray(7, 8), bytes.subarray(8)];
      await pipeline(Readable.from(chunks), write.stream);
      expect((await write.complete()).received).toBe(parseCsv(CSV[t.source.name]!).length);
    }
    await target.finish();
    return target.manifest!;
  } finally {
    await target.close();
  }
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

/** Rewrites the manifest with `change` applied and its own checksum recomputed, as a forger would. */
function forge(dir: string, change: (doc: any) => void): void {
  const file = path.join(dir, MANIFEST_FILE);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete doc.manifestChecksum;
  change(doc);
  doc.manifestChecksum = createHash('sha256').update(JSON.stringify(doc)).digest('hex');
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
}

function copyDir(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<SnapshotInvalidError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    return error as SnapshotInvalidError;
  }
  throw new Error('expected a rejection');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('the snapshot adapter', () => {
  const tmp = tempDir('hesap-snapshot-adapter');
  const base = path.join(tmp.dir, 'snapshots');
  const good = path.join(base, 'good');
  let manifest: SnapshotManifest;
  const entryOf = (table: string) => manifest.tables.find((t) => t.table === table)!;
  const at = (doc: any, table: string) => doc.tables.find((t: { table: string }) => t.table === table);

  beforeAll(async () => {
    manifest = await writeSnapshot(good);
  });
  afterAll(() => tmp.cleanup());

  it('writes one gzip file per table holding exactly the CSV it was given, mode 0600 in 0700 folders', () => {
    // Load order: parents before children, else by name.
    expect(fs.readdirSync(good).sort()).toEqual(['0001-empty.csv.gz', '0002-users.csv.gz', '0003-order_lines_weird.csv.gz', MANIFEST_FILE]);
    expect(modeOf(base)).toBe(0o700);
    expect(modeOf(good)).toBe(0o700);
    for (const f of fs.readdirSync(good)) expect([f, modeOf(path.join(good, f))]).toEqual([f, 0o600]);
    for (const entry of manifest.tables) {
      const file = fs.readFileSync(path.join(good, entry.file));
      const csv = Buffer.from(CSV[entry.table]!, 'utf8');
      expect(zlib.gunzipSync(file).equals(csv)).toBe(true);
      const sum = new ContentChecksum(schema.tables.find((t) => t.name === entry.table)!.columns.map((c) => c.type));
      for (const row of parseCsv(csv)) sum.add(row);
      expect(entry).toEqual({
        table: entry.table,
        file: entry.file,
        rows: sum.rows,
        bytes: csv.length,
        compressedBytes: file.length,
        sha256: sha256(file),
        checksum: sum.digest(),
      });
    }
    expect(manifest.tables.map((t) => t.rows)).toEqual([0, 4, 3]);
  });

  it('keeps the whole schema (BigInts included), views and notes, and never the password', () => {
    const text = fs.readFileSync(path.join(good, MANIFEST_FILE), 'utf8');
    expect(text).not.toContain(SECRET);
    const doc = JSON.parse(text);
    expect(doc.formatVersion).toBe(1);
    expect(doc.schema.tables[1].sequence.lastValue).toBe('9223372036854775807');
    const read = readManifest(good);
    expect(read.source).toEqual({ kind: 'remote', adapter: 'postgres', location: 'postgresql://app:***@db.example.com/app', dialect: 'test' });
    expect(read.schema).toEqual(inLoadOrder);
    expect(read.schema.tables[1]!.sequence!.lastValue).toBe(2n ** 63n - 1n);
    expect(Object.is((read.schema.tables[1]!.columns[3]!.default as { value: number }).value, -0)).toBe(true);
    expect(Date.now() - Date.parse(read.createdAt)).toBeLessThan(60_000);
  });

  it('reads back as a source: the schema, the counts, the same bytes, and any column order asked for', async () => {
    const source = await snapshotAdapter.openSource(`snapshot:${good}`);
    const read = await source.introspect({ profile: true });
    expect(read).toEqual(inLoadOrder);
    expect((await source.introspect({ tables: ['empty'] })).tables.map((t) => t.name)).toEqual(['empty']);
    for (const t of read.tables) {
      expect(await source.countRows(t)).toBe(parseCsv(CSV[t.name]!).length);
      expect((await readAll(source.readTable(t))).toString('utf8')).toBe(CSV[t.name]);
    }
    const projected = await readAll(source.readTable({ ...orders, columns: [orders.columns[3]!, orders.columns[0]!] }));
    expect(parseCsv(projected)).toEqual([
      ['t', '1'],
      ['f', '2'],
      [null, '3'],
    ]);
    await source.close();
  });

  it('copies snapshot to snapshot through the engine with the same content', async () => {
    const source = await snapshotAdapter.openSource(`snapshot:${good}`);
    const out = path.join(base, 'copy');
    const target = await snapshotAdapter.openTarget(`snapshot:${out}`, { source: { kind: 'snapshot', location: good } });
    const report = await transfer({ source, target, targetCapabilities: snapshotAdapter.capabilities, ...CREATE });
    await target.close();
    expect(report.tables.map((t) => [t.table, t.received])).toEqual([
      ['empty', 0],
      ['users', 4],
      [orders.name, 3],
    ]);
    const copy = readManifest(out);
    expect(copy.tables.map((t) => [t.table, t.rows, t.bytes, t.checksum])).toEqual(manifest.tables.map((t) => [t.table, t.rows, t.bytes, t.checksum]));
    expect((await verifySnapshot(out)).ok).toBe(true);
  });

  it('verifies an intact snapshot table by table', async () => {
    const check = await verifySnapshot(good);
    expect(check.ok).toBe(true);
    expect(check.problems).toEqual([]);
    expect(check.tables.map((t) => [t.table, t.status])).toEqual([
      ['empty', 'ok'],
      ['users', 'ok'],
      [orders.name, 'ok'],
    ]);
  });

  it('records the checksum version, and a snapshot of an unknown version is checked by SHA-256 and counts only', async () => {
    expect(manifest.checksumVersion).toBe(CONTENT_CHECKSUM_VERSION);
    const other = path.join(base, 'other-version');
    fs.cpSync(good, other, { recursive: true });
    const doc = readManifest(other);
    // A canonical form this hesap does not know gives other checksums: they must not read as damage.
    const rewritten = { ...doc, checksumVersion: CONTENT_CHECKSUM_VERSION + 1, tables: doc.tables.map((t) => ({ ...t, checksum: `${t.rows}:${'0'.repeat(32)}` })) };
    fs.writeFileSync(path.join(other, MANIFEST_FILE), encodeManifest(rewritten), { mode: 0o600 });
    expect((await verifySnapshot(other)).ok).toBe(true);
    // With the current version, the same wrong checksums are damage.
    fs.writeFileSync(path.join(other, MANIFEST_FILE), encodeManifest({ ...rewritten, checksumVersion: CONTENT_CHECKSUM_VERSION }), { mode: 0o600 });
    const check = await verifySnapshot(other);
    expect(check.ok).toBe(false);
    expect(check.problems.map((p) => p.message).join(' ')).toMatch(/content checksum/);
  });

  it('checks the content of a snapshot made by an older hesap (checksum version 2) in its own version', async () => {
    const older = path.join(base, 'version-2');
    fs.cpSync(good, older, { recursive: true });
    const doc = readManifest(older);
    const v2 = (entry: { table: string; file: string }): string => {
      const sum = new ContentChecksum(schema.tables.find((t) => t.name === entry.table)!.columns.map((c) => c.type), 2);
      for (const row of parseCsv(zlib.gunzipSync(fs.readFileSync(path.join(older, entry.file))))) sum.add(row);
      return sum.digest();
    };
    const tables = doc.tables.map((t) => ({ ...t, checksum: v2(t) }));
    expect(tables.filter((t) => t.rows > 0).every((t, i) => t.checksum !== doc.tables.filter((d) => d.rows > 0)[i]!.checksum)).toBe(true);
    fs.writeFileSync(path.join(older, MANIFEST_FILE), encodeManifest({ ...doc, checksumVersion: 2, tables }), { mode: 0o600 });
    expect((await verifySnapshot(older)).ok).toBe(true);
    // One changed lane in a version-2 checksum is damage, not another version's difference.
    const forged = tables.map((t) => (t.rows > 0 ? { ...t, checksum: t.checksum.replace(/.$/, (d) => (d === '0' ? '1' : '0')) } : t));
    fs.writeFileSync(path.join(older, MANIFEST_FILE), encodeManifest({ ...doc, checksumVersion: 2, tables: forged }), { mode: 0o600 });
    const check = await verifySnapshot(older);
    expect(check.ok).toBe(false);
    expect(check.problems.map((p) => p.message).join(' ')).toMatch(/content checksum/);
  });

  it('a failed or dry-run write leaves nothing, not even the temporary folder', async () => {
    const out = path.join(base, 'failed');
    const target = await snapshotAdapter.openTarget(`snapshot:${out}`);
    const plan = planLoad({ source: schema, target: await target.introspect(), tables: [users], mode: 'create', capabilities: snapshotAdapter.capabilities, policies: DEFAULT_POLICIES });
    await target.begin(plan);
    const temp = fs.readdirSync(base).filter((n) => n.startsWith('.tmp-snapshot-'));
    expect(temp).toHaveLength(1);
    expect(modeOf(path.join(base, temp[0]!))).toBe(0o700);
    const write = target.writeTable(plan.tables[0]!);
    // A row with the wrong number of fields: the engine would abort the target.
    await expect(pipeline(Readable.from([Buffer.from('1,"x"\n')]), write.stream)).rejects.toThrow(/2 fields for 5 columns/);
    await target.abort(new Error('failed'));
    expect(fs.readdirSync(base).filter((n) => n.startsWith('.tmp-') || n === 'failed')).toEqual([]);

    const dry = await snapshotAdapter.openTarget(`snapshot:${out}`);
    await dry.begin({ ...plan, tables: [], dryRun: true });
    await dry.finish();
    expect(fs.readdirSync(base).filter((n) => n.startsWith('.tmp-') || n === 'failed')).toEqual([]);
  });

  it('refuses to write over an existing folder', async () => {
    const target = await snapshotAdapter.openTarget(`snapshot:${good}`);
    const plan = planLoad({ source: schema, target: await target.introspect(), tables: [], mode: 'create', capabilities: snapshotAdapter.capabilities, policies: DEFAULT_POLICIES });
    await expect(target.begin(plan)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(readManifest(good).tables).toHaveLength(3);
  });

  it("removes temporary folders of dead processes when the next snapshot begins, and leaves a live process's alone", async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    const leftover = path.join(base, `.tmp-snapshot-0badf00d-${deadPid}`);
    const live = path.join(base, `.tmp-snapshot-0c0ffee0-${process.pid}`);
    fs.mkdirSync(path.join(leftover, 'x'), { recursive: true });
    fs.mkdirSync(live);
    const target = await snapshotAdapter.openTarget(`snapshot:${path.join(base, 'next')}`);
    const plan = planLoad({ source: schema, target: await target.introspect(), tables: [empty], mode: 'create', capabilities: snapshotAdapter.capabilities, policies: DEFAULT_POLICIES });
    await target.begin(plan);
    expect(fs.existsSync(leftover)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    await target.abort(undefined);
    fs.rmdirSync(live);
  });

  describe('hostile and damaged snapshots are refused with SNAPSHOT_INVALID, naming the file', () => {
    let n = 0;
    const variant = () => copyDir(good, path.join(tmp.dir, `variant-${++n}`));

    async function expectRefused(dir: string, file: string | RegExp, message: RegExp, stage: 'open' | 'read' = 'open'): Promise<void> {
      if (stage === 'open') {
        const error = await rejection(snapshotAdapter.openSource(`snapshot:${dir}`));
        expect(error).toBeInstanceOf(SnapshotInvalidError);
        expect(error.code).toBe('SNAPSHOT_INVALID');
        expect(error.file).toMatch(file);
        expect(error.message).toMatch(message);
        expect(error.toJSON()).toMatchObject({ code: 'SNAPSHOT_INVALID', file: error.file });
      }
      const check = await verifySnapshot(dir);
      expect(check.ok).toBe(false);
      expect(check.problems).toHaveLength(1);
      expect(check.problems[0]!.file).toMatch(file);
      expect(check.problems[0]!.message).toMatch(message);
      // A copy out of it writes nothing at all.
      const out = path.join(tmp.dir, `out-${n}`);
      const before = fs.readdirSync(tmp.dir).sort();
      const copied = (async () => {
        const source = await snapshotAdapter.openSource(`snapshot:${dir}`);
        const target = await snapshotAdapter.openTarget(`snapshot:${out}`);
        try {
          await transfer({ source, target, targetCapabilities: snapshotAdapter.capabilities, ...CREATE });
        } finally {
          await target.close();
        }
      })();
      const error = await rejection(copied);
      expect(error.code).toBe('SNAPSHOT_INVALID');
      expect(fs.readdirSync(tmp.dir).sort()).toEqual(before);
    }

    it('a data file named ../x', async () => {
      const dir = variant();
      forge(dir, (doc) => (at(doc, 'users').file = '../x'));
      await expectRefused(dir, '../x', /not a plain file name inside the snapshot folder/);
    });

    it('a data file with an absolute path', async () => {
      const dir = variant();
      forge(dir, (doc) => (at(doc, orders.name).file = '/etc/passwd'));
      await expectRefused(dir, '/etc/passwd', /not a plain file name/);
    });

    it('a data file that is a symbolic link', async () => {
      const dir = variant();
      const file = path.join(dir, entryOf('users').file);
      const elsewhere = path.join(tmp.dir, `elsewhere-${n}.gz`);
      fs.renameSync(file, elsewhere);
      fs.symlinkSync(elsewhere, file);
      await expectRefused(dir, entryOf('users').file, /symbolic link/);
    });

    it('a manifest that is a symbolic link', async () => {
      const dir = variant();
      const file = path.join(dir, MANIFEST_FILE);
      fs.renameSync(file, path.join(tmp.dir, `manifest-${n}.json`));
      fs.symlinkSync(path.join(tmp.dir, `manifest-${n}.json`), file);
      await expectRefused(dir, MANIFEST_FILE, /symbolic link/);
    });

    it('a gzip bomb: a small file that inflates past what the manifest declares', async () => {
      const dir = variant();
      const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x41), { level: 9 });
      expect(bomb.length).toBeLessThan(200 * 1024);
      fs.writeFileSync(path.join(dir, entryOf('users').file), bomb);
      forge(dir, (doc) => {
        at(doc, 'users').sha256 = sha256(bomb);
        at(doc, 'users').compressedBytes = bomb.length;
      });
      // The manifest is consistent with the file on disk: only inflating shows the bomb, and it stops early.
      const source = await snapshotAdapter.openSource(`snapshot:${dir}`);
      await expect(readAll(source.readTable(users))).rejects.toThrow(new RegExp(`${entryOf('users').file}.*inflates past ${entryOf('users').bytes} bytes`));
      await expectRefused(dir, entryOf('users').file, /inflates past/, 'read');
    });

    it('a manifest that claims more bytes than gzip can inflate its file to, and the hard cap', async () => {
      const dir = variant();
      forge(dir, (doc) => (at(doc, 'users').bytes = 10 ** 12));
      await expectRefused(dir, entryOf('users').file, /more than gzip can inflate/);
      const entry = entryOf('users');
      const capped = openTableData(good, entry, users, { maxTableBytes: 10, output: false });
      capped.resume();
      await expect(new Promise((resolve, reject) => capped.on('end', resolve).on('error', reject))).rejects.toThrow(/inflates past 10 bytes/);
    });

    it('a row count that disagrees with the file', async () => {
      const dir = variant();
      forge(dir, (doc) => {
        at(doc, orders.name).rows = 4;
        at(doc, orders.name).checksum = at(doc, orders.name).checksum.replace(/^\d+:/, '4:');
      });
      await expectRefused(dir, entryOf(orders.name).file, /holds 3 rows, but the manifest says 4/, 'read');
    });

    it('a checksum that disagrees with the rows', async () => {
      const dir = variant();
      forge(dir, (doc) => (at(doc, 'users').checksum = `4:${'0'.repeat(32)}`));
      await expectRefused(dir, entryOf('users').file, /content checksum differs/, 'read');
    });

    it('an unknown format version', async () => {
      const dir = variant();
      forge(dir, (doc) => (doc.formatVersion = 2));
      await expectRefused(dir, MANIFEST_FILE, /format version 2 is not known/);
    });

    it('a manifest edited by hand', async () => {
      const dir = variant();
      const file = path.join(dir, MANIFEST_FILE);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"rows": 4', '"rows": 5'));
      await expectRefused(dir, MANIFEST_FILE, /checksum does not match/);
    });

    it('a schema that does not match the data files', async () => {
      const dir = variant();
      forge(dir, (doc) => (doc.schema.tables = doc.schema.tables.filter((t: { name: string }) => t.name !== 'empty')));
      await expectRefused(dir, MANIFEST_FILE, /data for table "empty", which the schema does not have/);
    });

    it('a flipped byte and a truncated file', async () => {
      const flipped = variant();
      const file = path.join(flipped, entryOf('users').file);
      const bytes = fs.readFileSync(file);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      fs.writeFileSync(file, bytes);
      await expectRefused(flipped, entryOf('users').file, new RegExp(`Snapshot file ${entryOf('users').file} \\(table "users"\\)`), 'read');

      // A byte of the gzip header's timestamp: the rows inflate the same, only the SHA-256 sees it.
      const header = variant();
      const file3 = path.join(header, entryOf('users').file);
      const bytes3 = fs.readFileSync(file3);
      bytes3[5]! ^= 0x01;
      fs.writeFileSync(file3, bytes3);
      expect(zlib.gunzipSync(bytes3).toString('utf8')).toBe(CSV.users);
      await expectRefused(header, entryOf('users').file, /does not match its SHA-256/, 'read');

      const truncated = variant();
      const file2 = path.join(truncated, entryOf(orders.name).file);
      fs.truncateSync(file2, 10);
      await expectRefused(truncated, entryOf(orders.name).file, /is 10 bytes, but the manifest says \d+: it was truncated/);
    });

    it('a missing snapshot is SNAPSHOT_MISSING, not a crash', async () => {
      const error = await rejection(snapshotAdapter.openSource(`snapshot:${path.join(tmp.dir, 'nothing-here')}`));
      expect(error).toBeInstanceOf(HesapError);
      expect(error.code).toBe('SNAPSHOT_MISSING');
    });
  });
});
