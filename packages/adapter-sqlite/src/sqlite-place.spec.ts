import DatabaseConstructor from 'better-sqlite3';
import { DEFAULT_POLICIES, placedName, type Table, type TablePlace } from '@hesap/core';
import * as fc from 'fast-check';
import { createTableSql } from './sqlite-ddl';
import { SqliteIntrospector } from './sqlite-introspector';
import { readPlace, withPlace } from './sqlite-place';

/** A table at `place` with one column, as a pull declares it. */
function placedTable(place: TablePlace): Table {
  return {
    name: placedName(place),
    place,
    columns: [{ name: 'id', type: 'integer', nullable: false }],
    primaryKey: { columns: ['id'] },
    uniques: [],
    foreignKeys: [],
    indexes: [],
  };
}

/** The declaration SQLite keeps for a table, after `sql` ran in a fresh database. */
function stored(sql: string, name: string): string {
  const db = new DatabaseConstructor(':memory:');
  try {
    db.exec(sql);
    return db.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').pluck().get(name) as string;
  } finally {
    db.close();
  }
}

describe('the place of a table in its SQLite declaration', () => {
  it('survives SQLite: stored, read back by the introspector, kept through ALTER TABLE', () => {
    const place = { schema: 'audit', table: 'events' };
    const db = new DatabaseConstructor(':memory:');
    db.exec(createTableSql(placedTable(place), []));
    db.exec('ALTER TABLE "audit.events" ADD COLUMN what TEXT');
    db.exec('ALTER TABLE "audit.events" RENAME COLUMN what TO body');
    return new SqliteIntrospector(db, DEFAULT_POLICIES).introspect().then((schema) => {
      db.close();
      expect(schema.tables.map((t) => [t.name, t.place, t.columns.map((c) => c.name)])).toEqual([['audit.events', place, ['id', 'body']]]);
    });
  });

  it('any schema and table name, quotes, comment marks, parentheses and line breaks included', () => {
    const name = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', '"', "'", '`', '[', ']', '(', ')', '*', '/', '-', '\n', '\r', '.', 'ş', '🙂', ' ') });
    fc.assert(
      fc.property(name, name, (schema, table) => {
        const place = { schema, table };
        const sql = stored(createTableSql(placedTable(place), []), placedName(place));
        expect(readPlace(placedName(place), sql)).toEqual(place);
      }),
      { numRuns: 200 },
    );
  });

  it('is nothing for a table merely named with a dot, or renamed since', () => {
    expect(readPlace('my.notes', stored('CREATE TABLE "my.notes" (id INTEGER)', 'my.notes'))).toBeUndefined();
    const renamed = stored(`${createTableSql(placedTable({ schema: 'audit', table: 'events' }), [])}; ALTER TABLE "audit.events" RENAME TO "audit.old"`, 'audit.old');
    expect(renamed).toContain('-- hesap place:');
    expect(readPlace('audit.old', renamed)).toBeUndefined();
  });

  it('is added to a declaration the file has, replaced, or taken away, the rest as it was', () => {
    const place = { schema: 'audit', table: 'events' };
    const plain = 'CREATE TABLE [audit.events] (id INTEGER PRIMARY KEY, what TEXT DEFAULT \'(x)\')';
    const added = withPlace(plain, place);
    expect(readPlace('audit.events', stored(added, 'audit.events'))).toEqual(place);
    expect(withPlace(added, place)).toBe(added);
    expect(readPlace('audit.events', withPlace(added, { schema: 'audit', table: 'other' }))).toBeUndefined();
    expect(withPlace(added, undefined)).toBe('CREATE TABLE [audit.events] (\nid INTEGER PRIMARY KEY, what TEXT DEFAULT \'(x)\')');
    expect(withPlace(plain, undefined)).toBe(plain);
  });
});
