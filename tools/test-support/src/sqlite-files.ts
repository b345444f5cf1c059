import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(label = 'hesap'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export interface TableDump {
  columns: string[];
  /** Each row as `typeof:quote(value)` per column, sorted: compares values and storage classes, not order. */
  rows: string[];
  primaryKey: string[];
  uniques: string[];
  foreignKeys: string[];
}

export interface DatabaseDump {
  tables: Record<string, TableDump>;
  views: string[];
  sequences: Record<string, string>;
}

/** Everything a round trip must keep, from a SQLite file, in a form `toEqual` can compare. */
export function dumpSqlite(file: string): DatabaseDump {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const names = db
      .prepare("SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
      .all() as Array<{ name: string; type: string }>;
    const tables: Record<string, TableDump> = {};
    for (const { name } of names.filter((n) => n.type === 'table')) {
      const info = db.prepare(`PRAGMA table_info(${quote(name)})`).all() as Array<{ name: string; pk: number }>;
      const columns = info.map((c) => c.name);
      const select = columns.map((c) => `typeof(${quote(c)}) || ':' || quote(${quote(c)})`).join(` || char(1) || `);
      const rows = columns.length === 0 ? [] : (db.prepare(`SELECT ${select} FROM ${quote(name)}`).pluck().all() as string[]).sort();
      const indexes = db.prepare(`PRAGMA index_list(${quote(name)})`).all() as Array<{ name: string; origin: string; unique: number }>;
      const uniques = indexes
        .filter((i) => i.unique === 1 && i.origin !== 'pk')
        .map((i) => (db.prepare(`PRAGMA index_info(${quote(i.name)})`).all() as Array<{ name: string }>).map((c) => c.name).join(','))
        .sort();
      const fks = db.prepare(`PRAGMA foreign_key_list(${quote(name)})`).all() as Array<{ id: number; table: string; from: string; to: string | null; on_delete: string }>;
      const byId = new Map<number, typeof fks>();
      for (const fk of fks) byId.set(fk.id, [...(byId.get(fk.id) ?? []), fk]);
      const foreignKeys = [...byId.values()]
        .map((g) => `${g.map((f) => f.from).join(',')}->${g[0]!.table}(${g.map((f) => f.to ?? '').join(',')}) ${g[0]!.on_delete}`)
        .sort();
      tables[name] = {
        columns,
        rows,
        primaryKey: info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
        uniques,
        foreignKeys,
      };
    }
    const sequences: Record<string, string> = {};
    if (db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get()) {
      for (const r of db.prepare('SELECT name, seq FROM sqlite_sequence').safeIntegers(true).all() as Array<{ name: string; seq: bigint }>) {
        sequences[r.name] = String(r.seq);
      }
    }
    return { tables, views: names.filter((n) => n.type === 'view').map((n) => n.name), sequences };
  } finally {
    db.close();
  }
}

/** Each table's columns as declared (`"users"."email"` -> `varchar(255)`), for checking that a round trip keeps declarations. */
export function sqliteDeclarations(file: string): Record<string, string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const out: Record<string, string> = {};
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").pluck().all() as string[];
    for (const table of tables) {
      for (const c of db.prepare(`PRAGMA table_info(${quote(table)})`).all() as Array<{ name: string; type: string }>) out[`${quote(table)}.${quote(c.name)}`] = c.type;
    }
    return out;
  } finally {
    db.close();
  }
}

/** Opens a SQLite file for writing in a test. */
export function openSqlite(file: string): Database.Database {
  return new Database(file);
}

/** Runs `sql` (one or more statements) on the file, then closes it: the app's own change, made and committed. */
export function execSqlite(file: string, sql: string): void {
  const db = openSqlite(file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}
