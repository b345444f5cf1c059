import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Table } from '@hesap/core';
import { sqliteAdapter } from './sqlite-adapter';
import { readCreateTable } from './sqlite-create-table';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as typeof import('better-sqlite3');

/** The tables of a SQLite file made by `sql`, as a push reads them (profiled). */
async function tablesOf(sql: string): Promise<Table[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hesap-checks-'));
  const file = path.join(dir, 'app.db');
  try {
    const db = new Database(file);
    db.exec(sql);
    db.close();
    const source = await sqliteAdapter.openSource(file);
    try {
      return (await source.introspect({ profile: true })).tables;
    } finally {
      await source.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function checksOf(sql: string) {
  return (await tablesOf(sql))[0]!.checks;
}

describe('CHECK constraints read from SQLite', () => {
  it('finds column and table checks, named or not, with their SQL as written', () => {
    const facts = readCreateTable(`CREATE TABLE "t(" ("a" INT CHECK (a > 0) CONSTRAINT "pos b" CHECK(b >= 0), b TEXT COLLATE NOCASE DEFAULT ('x, y'),
      -- a comment with CHECK (nothing)
      "check" INT, CONSTRAINT ck CHECK (/* keep */ a < b), CHECK ("check" IN (1, 2)), PRIMARY KEY (a))`);
    expect(facts.checks.map(({ name, column, sql }) => ({ name, column, sql }))).toEqual([
      { name: undefined, column: 'a', sql: 'a > 0' },
      { name: 'pos b', column: 'a', sql: 'b >= 0' },
      { name: 'ck', column: undefined, sql: '/* keep */ a < b' },
      { name: undefined, column: undefined, sql: '"check" IN (1, 2)' },
    ]);
    expect([...facts.collations]).toEqual([['b', 'NOCASE']]);
  });

  it('translates comparisons, IN lists, BETWEEN, IS NULL, AND/OR/NOT, length() and literals', async () => {
    const checks = await checksOf(`CREATE TABLE t (
      price NUMERIC(10,2) CHECK (price >= 0 AND price < 1e6),
      qty INTEGER CHECK (qty BETWEEN -5 AND 0x10),
      status VARCHAR(10) NOT NULL CHECK (status IN ('new', 'it''s done')),
      code TEXT CHECK (length(code) = 3 OR code IS NULL), note TEXT CHECK (NOT (note NOTNULL AND Note <> '')),
      active BOOLEAN CHECK (active IN (0, 1)), done BOOL CHECK (done = TRUE or done == false),
      CONSTRAINT ordered CHECK (qty <= price))`);
    expect(checks?.map((c) => [c.name, c.untranslated])).toEqual(Array.from({ length: 8 }, (_, i) => [i === 7 ? 'ordered' : undefined, undefined]));
    expect(checks?.[1]!.expression).toEqual({
      kind: 'and',
      terms: [
        { kind: 'compare', op: '>=', left: { kind: 'column', name: 'qty' }, right: { kind: 'number', text: '-5' } },
        { kind: 'compare', op: '<=', left: { kind: 'column', name: 'qty' }, right: { kind: 'number', text: '16' } },
      ],
    });
    expect(checks?.[2]!.expression).toEqual({
      kind: 'in',
      value: { kind: 'column', name: 'status' },
      list: [
        { kind: 'string', value: 'new' },
        { kind: 'string', value: "it's done" },
      ],
      negated: false,
    });
    // Columns by their own names (SQLite ignores case); 0 and 1 against a boolean column are false and true.
    expect(JSON.stringify(checks?.[4]!.expression)).toContain('{"kind":"column","name":"note"}');
    expect(checks?.[5]!.expression).toMatchObject({ list: [{ kind: 'boolean', value: false }, { kind: 'boolean', value: true }] });
    expect(checks?.[6]!.expression).toMatchObject({ terms: [{ right: { kind: 'boolean', value: true } }, { right: { kind: 'boolean', value: false } }] });
  });

  it('keeps the rest as SQL, saying why', async () => {
    const checks = await checksOf(`CREATE TABLE t (
      data TEXT CHECK ((JSON_VALID("data") OR "data" IS NULL)),
      name TEXT COLLATE NOCASE CHECK (name <> 'admin'),
      n INTEGER CHECK (n + 1 > 0), m INTEGER CHECK (m = '5'), s TEXT CHECK (s LIKE 'a%'),
      at DATETIME CHECK (at > '2020-01-01'), big INTEGER CHECK (big < 99999999999999999999),
      flag BOOLEAN CHECK (flag IN (0, 1, 2)), word TEXT CHECK (upper(word) = word || ''))`);
    expect(checks?.map((c) => [c.sql, c.untranslated, c.expression])).toEqual([
      ['(JSON_VALID("data") OR "data" IS NULL)', 'it uses JSON_VALID(), which hesap does not translate', undefined],
      ["name <> 'admin'", '"name" compares by collation NOCASE', undefined],
      ['n + 1 > 0', 'it uses the + operator, which hesap does not translate', undefined],
      ["m = '5'", 'it compares a number with text', undefined],
      ["s LIKE 'a%'", 'it uses LIKE, which hesap does not translate', undefined],
      ["at > '2020-01-01'", '"at" is a timestamp column, which SQLite compares as text', undefined],
      ['big < 99999999999999999999', 'it uses the number 99999999999999999999 (beyond 64 bits), which hesap does not translate', undefined],
      ['flag IN (0, 1, 2)', 'it compares a boolean column with 2 (=)', undefined],
      ["upper(word) = word || ''", 'it uses upper(), which hesap does not translate', undefined],
    ]);
  });

  it('decides by the column as the data made it: a number column holding text compares as text', async () => {
    const [table] = await tablesOf(`CREATE TABLE t (v ANY CHECK (v > 0), w INTEGER CHECK (w > 0)); INSERT INTO t VALUES ('abc', 1), (2, 3)`);
    expect(table!.columns.map((c) => c.type)).toEqual(['text', 'integer']);
    expect(table!.checks?.map((c) => c.untranslated)).toEqual(['"v" holds text with NUMERIC affinity, which SQLite compares as numbers where it can', undefined]);
  });

  it('lists the triggers of each table', async () => {
    const tables = await tablesOf(`CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY);
      CREATE TRIGGER a_touch AFTER INSERT ON A BEGIN DELETE FROM b; END;`);
    const [a, b] = ['a', 'b'].map((name) => tables.find((t) => t.name === name));
    expect(a!.triggers).toEqual([{ name: 'a_touch', sql: expect.stringContaining('AFTER INSERT ON A') }]);
    expect(b!.triggers).toBeUndefined();
    expect(a!.checks).toBeUndefined();
  });
});
