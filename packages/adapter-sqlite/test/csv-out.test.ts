import * as path from 'node:path';
import Database from 'better-sqlite3';
import { ContentChecksum, CsvParser, checksumStream, findTable, type CsvRow, type NeutralType } from '@hesap/core';
import { sqliteAdapter } from '@hesap/adapter-sqlite';
import { tempDir } from '@hesap/test-support';

// The CSV SQLite builds for a table: BLOBs as `\x` and hex (SQLite's hex(), capitals), through
// both readers: rowid tables in batches, WITHOUT ROWID row by row; and their content checksum,
// computed from those bytes as a read-back does, is that of the same bytes in small letters
// (PostgreSQL's spelling).

let dir: string;
let cleanup: () => void;
let file: string;
const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

beforeAll(() => {
  ({ dir, cleanup } = tempDir('hesap-csv-out'));
  file = path.join(dir, 'app.db');
  const db = new Database(file);
  db.exec('CREATE TABLE receipts (id INTEGER PRIMARY KEY, scan BLOB)');
  db.exec('CREATE TABLE stamps (code TEXT PRIMARY KEY, scan BLOB) WITHOUT ROWID');
  const values: Array<Buffer | null> = [EVERY_BYTE, Buffer.alloc(0), null, Buffer.from('ABCDEF', 'hex')];
  values.forEach((v, i) => {
    db.prepare('INSERT INTO receipts (id, scan) VALUES (?, ?)').run(i + 1, v);
    db.prepare('INSERT INTO stamps (code, scan) VALUES (?, ?)').run(`c${i + 1}`, v);
  });
  db.close();
});

afterAll(() => cleanup());

async function csvOf(name: string): Promise<{ text: string; rows: CsvRow[]; checksum: string }> {
  const source = await sqliteAdapter.openSource(file, {});
  try {
    const table = findTable(await source.introspect(), name)!;
    let text = '';
    for await (const chunk of source.readTable(table)) text += (chunk as Buffer).toString('utf8');
    const rows: CsvRow[] = [];
    const parser = new CsvParser((row) => rows.push(row));
    parser.write(Buffer.from(text, 'utf8'));
    parser.end();
    // The checksum as a read-back computes it: over the stream's bytes.
    const { digest } = await checksumStream(source.readTable(table), { types: table.columns.map((c) => c.type) });
    return { text, rows, checksum: digest };
  } finally {
    await source.close();
  }
}

const TYPES: Record<string, NeutralType[]> = { receipts: ['integer', 'bytes'], stamps: ['text', 'bytes'] };

describe.each(['receipts', 'stamps'])('BLOBs of %s as CSV', (name) => {
  it('are `\\x` and hex, empty as `\\x`, NULL as an empty field', async () => {
    const { rows } = await csvOf(name);
    expect(rows.map((r) => r[1])).toEqual([`\\x${EVERY_BYTE.toString('hex').toUpperCase()}`, '\\x', null, '\\xABCDEF']);
  });

  it('checksum as the same bytes in small letters do (the spelling is not part of the content)', async () => {
    const { rows, checksum } = await csvOf(name);
    const small = rows.map((r) => [r[0]!, r[1] === null ? null : r[1]!.toLowerCase()]);
    const sum = new ContentChecksum(TYPES[name]!);
    for (const row of small) sum.add(row);
    expect(sum.digest()).toBe(checksum);
  });
});
