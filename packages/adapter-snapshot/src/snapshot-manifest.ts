import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError, NEUTRAL_TYPES, placedName, type Column, type ColumnDefault, type Schema, type Table } from '@hesap/core';
import { SnapshotInvalidError } from './snapshot-errors';

/**
 * The manifest of a snapshot (`manifest.json`): what was copied from where, the whole
 * schema in the neutral model, and per table its data file with the checks that prove
 * the file intact. Reading one is reading untrusted input: every field is checked
 * before anything uses it, and data files must be plain files inside the folder.
 */

export const SNAPSHOT_FORMAT = 'hesap-snapshot';
/** Readers refuse any other version: a newer format may mean something this code does not know. */
export const SNAPSHOT_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_MAX_BYTES = 64 * 1024 * 1024;
/** Deflate cannot inflate more than about 1032 times its input; more in a manifest is a lie. */
const MAX_INFLATE_RATIO = 1032;
/** The default hard cap on one table's CSV, whatever the manifest says. */
export const DEFAULT_MAX_TABLE_BYTES = 1024 ** 4;

/** Where a snapshot's rows came from. The location never holds a secret. */
export interface SnapshotSourceInfo {
  /** `local`, `remote`, or the adapter's name when the caller said nothing. */
  kind: string;
  /** The source adapter (`sqlite`, `postgres`). */
  adapter?: string;
  /** The file path or URL, password masked. */
  location: string;
  /** The source schema's dialect. */
  dialect?: string;
}

/** One table's data file and what it must hold. */
export interface SnapshotTableEntry {
  table: string;
  /** File name inside the snapshot folder (no folder part). */
  file: string;
  rows: number;
  /** Bytes of CSV once inflated. */
  bytes: number;
  /** Bytes of the gzip file. */
  compressedBytes: number;
  /** SHA-256 (hex) of the gzip file. */
  sha256: string;
  /** Order-independent content checksum of the rows (`ContentChecksum.digest()`). */
  checksum: string;
}

export interface SnapshotManifest {
  format: typeof SNAPSHOT_FORMAT;
  formatVersion: number;
  hesapVersion: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  source: SnapshotSourceInfo;
  /** Tables in load order (parents first), with views and notes of the source. */
  schema: Schema;
  tables: SnapshotTableEntry[];
  /** The canonical form the content checksums were computed in (CONTENT_CHECKSUM_VERSION). */
  checksumVersion?: number;
}

/** Limits that keep a hostile snapshot from filling memory or disk. */
export interface SnapshotLimits {
  /** Most CSV bytes one table may inflate to, whatever its manifest says (default 1 TiB). */
  maxTableBytes?: number;
}

/** The data file name for the table at `index`: a number for order and uniqueness, a readable hint of the name. */
export function dataFileName(index: number, table: string): string {
  const hint = table
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^[_-]+|_+$/g, '')
    .slice(0, 48);
  return `${String(index + 1).padStart(4, '0')}${hint ? `-${hint}` : ''}.csv.gz`;
}

const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

// ---------------------------------------------------------------------------------------
// Writing

/** The manifest as JSON, with `manifestChecksum` (SHA-256 of the rest) so an edit shows. */
export function encodeManifest(manifest: SnapshotManifest): string {
  const body = {
    format: manifest.format,
    formatVersion: manifest.formatVersion,
    hesapVersion: manifest.hesapVersion,
    createdAt: manifest.createdAt,
    source: manifest.source,
    schema: encodeSchema(manifest.schema),
    tables: manifest.tables,
    checksumVersion: manifest.checksumVersion,
  };
  const text = JSON.stringify(body);
  const withChecksum = { ...body, manifestChecksum: sha256Hex(text) };
  return JSON.stringify(withChecksum, null, 2) + '\n';
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** BigInts become strings (JSON has none); a literal default says when it was one. */
function encodeSchema(schema: Schema): unknown {
  return {
    dialect: schema.dialect,
    tables: schema.tables.map((t) => ({
      ...t,
      columns: t.columns.map((c) => (c.default ? { ...c, default: encodeDefault(c.default) } : c)),
      ...(t.sequence ? { sequence: { ...t.sequence, lastValue: t.sequence.lastValue === null ? null : t.sequence.lastValue.toString() } } : {}),
    })),
    views: schema.views,
    notes: schema.notes,
  };
}

function encodeDefault(d: ColumnDefault): unknown {
  if (d.kind !== 'literal') return d;
  if (typeof d.value === 'bigint') return { kind: 'literal', value: d.value.toString(), valueType: 'bigint' };
  if (typeof d.value === 'number' && (!Number.isFinite(d.value) || Object.is(d.value, -0))) {
    return { kind: 'literal', value: Object.is(d.value, -0) ? '-0' : String(d.value), valueType: 'number' };
  }
  return d;
}

// ---------------------------------------------------------------------------------------
// Reading

type Json = Record<string, unknown>;

class ManifestReader {
  constructor(private readonly file = MANIFEST_FILE) {}

  fail(message: string): never {
    throw new SnapshotInvalidError(this.file, `${this.file}: ${message}`);
  }

  object(value: unknown, where: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${where} is not an object.`);
    return value as Json;
  }

  array(value: unknown, where: string): unknown[] {
    if (!Array.isArray(value)) this.fail(`${where} is not a list.`);
    return value;
  }

  string(value: unknown, where: string, options: { empty?: boolean } = {}): string {
    if (typeof value !== 'string' || (!options.empty && value.length === 0) || value.includes('\u0000')) this.fail(`${where} is not a valid text.`);
    return value;
  }

  optionalString(value: unknown, where: string): string | undefined {
    return value === undefined ? undefined : this.string(value, where, { empty: true });
  }

  count(value: unknown, where: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) this.fail(`${where} is not a count.`);
    return value;
  }

  boolean(value: unknown, where: string): boolean {
    if (typeof value !== 'boolean') this.fail(`${where} is not true or false.`);
    return value;
  }

  names(value: unknown, where: string): string[] {
    return this.array(value, where).map((n, i) => this.string(n, `${where}[${i}]`));
  }
}

/**
 * Parses and checks a manifest's text. Refuses an unknown format version, a checksum
 * that does not match (the manifest was edited), unsafe file names, and anything whose
 * shape is not what hesap writes.
 */
export function parseManifest(text: string): SnapshotManifest {
  const r = new ManifestReader();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    r.fail(`not valid JSON (${(error as Error).message}).`);
  }
  const doc = r.object(raw, 'the manifest');
  if (doc.format !== SNAPSHOT_FORMAT) r.fail(`not a hesap snapshot manifest (format ${JSON.stringify(doc.format)}).`);
  if (doc.formatVersion !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotInvalidError(MANIFEST_FILE, `${MANIFEST_FILE}: snapshot format version ${JSON.stringify(doc.formatVersion)} is not known to this hesap (it reads version ${SNAPSHOT_FORMAT_VERSION}).`, {
      hints: ['A newer hesap wrote this snapshot: restore it with that version.'],
    });
  }
  const { manifestChecksum, ...body } = doc;
  if (typeof manifestChecksum !== 'string' || manifestChecksum !== sha256Hex(JSON.stringify(body))) {
    r.fail('its checksum does not match its content: the manifest was edited or damaged.');
  }
  const source = r.object(doc.source, 'source');
  const manifest: SnapshotManifest = {
    format: SNAPSHOT_FORMAT,
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    hesapVersion: r.string(doc.hesapVersion, 'hesapVersion'),
    createdAt: r.string(doc.createdAt, 'createdAt'),
    source: {
      kind: r.string(source.kind, 'source.kind'),
      adapter: r.optionalString(source.adapter, 'source.adapter'),
      location: r.string(source.location, 'source.location', { empty: true }),
      dialect: r.optionalString(source.dialect, 'source.dialect'),
    },
    schema: readSchema(r, doc.schema),
    tables: r.array(doc.tables, 'tables').map((t, i) => readEntry(r, t, `tables[${i}]`)),
    checksumVersion: typeof doc.checksumVersion === 'number' ? doc.checksumVersion : undefined,
  };
  if (Number.isNaN(Date.parse(manifest.createdAt))) r.fail('createdAt is not a date.');
  checkConsistent(r, manifest);
  return manifest;
}

function readEntry(r: ManifestReader, value: unknown, where: string): SnapshotTableEntry {
  const e = r.object(value, where);
  const file = r.string(e.file, `${where}.file`);
  if (!SAFE_FILE.test(file) || file === MANIFEST_FILE || path.basename(file) !== file || path.isAbsolute(file) || file.includes('..')) {
    throw new SnapshotInvalidError(file, `${MANIFEST_FILE}: ${where}.file ${JSON.stringify(file)} is not a plain file name inside the snapshot folder.`);
  }
  const entry: SnapshotTableEntry = {
    table: r.string(e.table, `${where}.table`),
    file,
    rows: r.count(e.rows, `${where}.rows`),
    bytes: r.count(e.bytes, `${where}.bytes`),
    compressedBytes: r.count(e.compressedBytes, `${where}.compressedBytes`),
    sha256: r.string(e.sha256, `${where}.sha256`),
    checksum: r.string(e.checksum, `${where}.checksum`),
  };
  if (!/^[0-9a-f]{64}$/.test(entry.sha256)) r.fail(`${where}.sha256 is not a SHA-256.`);
  const m = /^(\d+):[0-9a-f]{32}$/.exec(entry.checksum);
  if (!m) r.fail(`${where}.checksum is not a content checksum.`);
  if (Number(m[1]) !== entry.rows) {
    throw new SnapshotInvalidError(file, `${MANIFEST_FILE}: table "${entry.table}" has ${entry.rows} rows but its checksum counts ${m[1]}.`, { table: entry.table });
  }
  if (entry.bytes > entry.compressedBytes * MAX_INFLATE_RATIO + 1024) {
    throw new SnapshotInvalidError(file, `${MANIFEST_FILE}: table "${entry.table}" claims ${entry.bytes} bytes from a ${entry.compressedBytes}-byte file, more than gzip can inflate to.`, {
      table: entry.table,
    });
  }
  return entry;
}

function checkConsistent(r: ManifestReader, m: SnapshotManifest): void {
  const files = new Set<string>();
  const entries = new Set<string>();
  for (const e of m.tables) {
    if (files.has(e.file)) r.fail(`file ${JSON.stringify(e.file)} is named twice.`);
    if (entries.has(e.table)) r.fail(`table ${JSON.stringify(e.table)} is listed twice.`);
    files.add(e.file);
    entries.add(e.table);
  }
  const inSchema = new Set(m.schema.tables.map((t) => t.name));
  if (inSchema.size !== m.schema.tables.length) r.fail('the schema names a table twice.');
  for (const name of inSchema) if (!entries.has(name)) r.fail(`table ${JSON.stringify(name)} has no data file.`);
  for (const name of entries) if (!inSchema.has(name)) r.fail(`data for table ${JSON.stringify(name)}, which the schema does not have.`);
}

function readSchema(r: ManifestReader, value: unknown): Schema {
  const s = r.object(value, 'schema');
  return {
    dialect: r.string(s.dialect, 'schema.dialect'),
    tables: r.array(s.tables, 'schema.tables').map((t, i) => readTable(r, t, `schema.tables[${i}]`)),
    views: r.array(s.views, 'schema.views').map((v, i) => {
      const o = r.object(v, `schema.views[${i}]`);
      return { name: r.string(o.name, `schema.views[${i}].name`), ...(o.sql !== undefined ? { sql: r.string(o.sql, `schema.views[${i}].sql`, { empty: true }) } : {}) };
    }),
    notes: r.array(s.notes, 'schema.notes').map((n, i) => {
      const o = r.object(n, `schema.notes[${i}]`);
      const w = `schema.notes[${i}]`;
      if (o.level !== 'info' && o.level !== 'warning') r.fail(`${w}.level is not info or warning.`);
      return {
        level: o.level,
        code: r.string(o.code, `${w}.code`),
        message: r.string(o.message, `${w}.message`, { empty: true }),
        ...(o.table !== undefined ? { table: r.string(o.table, `${w}.table`) } : {}),
        ...(o.column !== undefined ? { column: r.string(o.column, `${w}.column`) } : {}),
      };
    }),
  };
}

const FK_ACTIONS = ['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT'];

function readTable(r: ManifestReader, value: unknown, where: string): Table {
  // The shape is checked field by field; the object itself is kept, so fields a later
  // hesap adds to the model pass through unchanged.
  const t = r.object(value, where);
  const name = r.string(t.name, `${where}.name`);
  const columns = r.array(t.columns, `${where}.columns`).map((c, i) => readColumn(r, c, `${where}.columns[${i}]`));
  const known = new Set(columns.map((c) => c.name));
  if (known.size !== columns.length) r.fail(`${where} names a column twice.`);
  const ownColumns = (v: unknown, w: string) => {
    const names = r.names(v, w);
    for (const n of names) if (!known.has(n)) r.fail(`${w} names column ${JSON.stringify(n)}, which table ${JSON.stringify(name)} does not have.`);
    return names;
  };
  const key = (v: unknown, w: string) => {
    const o = r.object(v, w);
    return { ...o, ...(o.name !== undefined ? { name: r.string(o.name, `${w}.name`) } : {}), columns: ownColumns(o.columns, `${w}.columns`) };
  };
  const table: Table = {
    ...t,
    name,
    columns,
    ...(t.primaryKey !== undefined ? { primaryKey: key(t.primaryKey, `${where}.primaryKey`) } : {}),
    uniques: r.array(t.uniques, `${where}.uniques`).map((u, i) => key(u, `${where}.uniques[${i}]`)),
    foreignKeys: r.array(t.foreignKeys, `${where}.foreignKeys`).map((f, i) => {
      const w = `${where}.foreignKeys[${i}]`;
      const o = r.object(f, w);
      const ref = r.object(o.references, `${w}.references`);
      for (const a of ['onDelete', 'onUpdate'] as const) if (!FK_ACTIONS.includes(o[a] as string)) r.fail(`${w}.${a} is not a foreign key action.`);
      return {
        ...o,
        ...(o.name !== undefined ? { name: r.string(o.name, `${w}.name`) } : {}),
        columns: ownColumns(o.columns, `${w}.columns`),
        references: { table: r.string(ref.table, `${w}.references.table`), columns: r.names(ref.columns, `${w}.references.columns`) },
        onDelete: o.onDelete as Table['foreignKeys'][number]['onDelete'],
        onUpdate: o.onUpdate as Table['foreignKeys'][number]['onUpdate'],
      };
    }),
    indexes: r.array(t.indexes, `${where}.indexes`).map((x, i) => {
      const w = `${where}.indexes[${i}]`;
      const o = r.object(x, w);
      return { ...o, name: r.string(o.name, `${w}.name`), columns: ownColumns(o.columns, `${w}.columns`), unique: r.boolean(o.unique, `${w}.unique`) };
    }),
  };
  if (t.sequence !== undefined) {
    const o = r.object(t.sequence, `${where}.sequence`);
    const last = o.lastValue;
    if (last !== null && (typeof last !== 'string' || !/^-?\d{1,19}$/.test(last))) r.fail(`${where}.sequence.lastValue is not an integer.`);
    table.sequence = {
      column: ownColumns([o.column], `${where}.sequence.column`)[0]!,
      lastValue: last === null ? null : BigInt(last),
      ...(o.strict !== undefined ? { strict: r.boolean(o.strict, `${where}.sequence.strict`) } : {}),
    };
  }
  if (t.place !== undefined) {
    const o = r.object(t.place, `${where}.place`);
    table.place = { schema: r.string(o.schema, `${where}.place.schema`), table: r.string(o.table, `${where}.place.table`) };
    if (placedName(table.place) !== name) r.fail(`${where}.place does not fit the table's name ${JSON.stringify(name)}.`);
  }
  if (t.declaredPrimaryKey !== undefined) table.declaredPrimaryKey = ownColumns(t.declaredPrimaryKey, `${where}.declaredPrimaryKey`);
  return table;
}

function readColumn(r: ManifestReader, value: unknown, where: string): Column {
  const c = r.object(value, where);
  if (!NEUTRAL_TYPES.includes(c.type as Column['type'])) r.fail(`${where}.type ${JSON.stringify(c.type)} is not a known type.`);
  const column: Column = {
    ...c,
    name: r.string(c.name, `${where}.name`),
    type: c.type as Column['type'],
    declaredType: r.string(c.declaredType, `${where}.declaredType`, { empty: true }),
    nullable: r.boolean(c.nullable, `${where}.nullable`),
  };
  for (const k of ['precision', 'scale'] as const) if (c[k] !== undefined) column[k] = r.count(c[k], `${where}.${k}`);
  if (c.generated !== undefined) column.generated = r.boolean(c.generated, `${where}.generated`);
  if (c.origin !== undefined) {
    const o = r.object(c.origin, `${where}.origin`);
    column.origin = {
      dialect: r.string(o.dialect, `${where}.origin.dialect`),
      type: r.string(o.type, `${where}.origin.type`, { empty: true }),
      ...(o.default !== undefined ? { default: o.default === null ? null : r.string(o.default, `${where}.origin.default`, { empty: true }) } : {}),
    };
  }
  if (c.default !== undefined) column.default = readDefault(r, c.default, `${where}.default`);
  return column;
}

function readDefault(r: ManifestReader, value: unknown, where: string): ColumnDefault {
  const d = r.object(value, where);
  switch (d.kind) {
    case 'null':
      return { kind: 'null' };
    case 'literal': {
      const v = d.value;
      if (d.valueType === 'bigint') {
        if (typeof v !== 'string' || !/^-?\d+$/.test(v)) r.fail(`${where}.value is not an integer.`);
        return { kind: 'literal', value: BigInt(v) };
      }
      if (d.valueType === 'number') {
        if (typeof v !== 'string' || !['-0', 'Infinity', '-Infinity', 'NaN'].includes(v)) r.fail(`${where}.value is not a number.`);
        return { kind: 'literal', value: Number(v) };
      }
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') r.fail(`${where}.value is not a literal.`);
      return { kind: 'literal', value: v };
    }
    case 'now': {
      if (d.precision !== 0 && d.precision !== 3 && d.precision !== 6) r.fail(`${where}.precision is not 0, 3 or 6.`);
      return { kind: 'now', precision: d.precision, ...(d.local !== undefined ? { local: r.boolean(d.local, `${where}.local`) } : {}) };
    }
    case 'today':
      return { kind: 'today', ...(d.local !== undefined ? { local: r.boolean(d.local, `${where}.local`) } : {}) };
    case 'expression':
      return { kind: 'expression', dialect: r.string(d.dialect, `${where}.dialect`), sql: r.string(d.sql, `${where}.sql`, { empty: true }) };
    default:
      return r.fail(`${where}.kind ${JSON.stringify(d.kind)} is not a known default.`);
  }
}

// ---------------------------------------------------------------------------------------
// Files

/** Opens a file inside `dir` for reading without following a symlink, and checks it is a plain file. */
export function openPlainFile(dir: string, file: string): { fd: number; size: number } {
  if (file !== path.basename(file) || file === '.' || file === '..') {
    throw new SnapshotInvalidError(file, `${file} is not inside the snapshot folder.`);
  }
  const full = path.join(dir, file);
  let fd: number;
  try {
    fd = fs.openSync(full, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new SnapshotInvalidError(file, `${file} is a symbolic link; a snapshot holds plain files only.`);
    if (code === 'ENOENT') throw new SnapshotInvalidError(file, `${file} is missing from the snapshot.`);
    throw new SnapshotInvalidError(file, `${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const stat = fs.fstatSync(fd);
  if (!stat.isFile()) {
    fs.closeSync(fd);
    throw new SnapshotInvalidError(file, `${file} is not a plain file.`);
  }
  return { fd, size: stat.size };
}

/**
 * Reads and checks the manifest of the snapshot in `dir`, and that every data file it
 * names is a plain file of the size it states. The data itself is checked as it is read.
 */
export function readManifest(dir: string): SnapshotManifest {
  if (!fs.existsSync(dir)) {
    throw new HesapError('SNAPSHOT_MISSING', `There is no snapshot at ${dir}.`, { hints: ['`hesap db snapshot list` shows the snapshots there are.'] });
  }
  const { fd, size } = openPlainFile(dir, MANIFEST_FILE);
  let text: string;
  try {
    if (size > MANIFEST_MAX_BYTES) throw new SnapshotInvalidError(MANIFEST_FILE, `${MANIFEST_FILE} is ${size} bytes, more than a manifest can be.`);
    text = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  const manifest = parseManifest(text);
  for (const entry of manifest.tables) {
    const file = openPlainFile(dir, entry.file);
    fs.closeSync(file.fd);
    if (file.size !== entry.compressedBytes) {
      throw new SnapshotInvalidError(entry.file, `${entry.file} (table "${entry.table}") is ${file.size} bytes, but the manifest says ${entry.compressedBytes}: it was truncated or changed.`, {
        table: entry.table,
      });
    }
  }
  return manifest;
}
