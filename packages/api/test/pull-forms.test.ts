import * as path from 'node:path';
import { createTestDatabase, openSqlite, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';
import { pull, push, verify } from '@hesap/api';

/**
 * Pulling tables an ORM or a person made in PostgreSQL (no column comment of hesap's, so no
 * recorded form): the file gets values its app reads right and declarations ORMs map to the
 * right types; a table the file already has keeps the app's declarations.
 */

const EVENTS = `
  CREATE TABLE events (
    id serial PRIMARY KEY,
    at timestamp NOT NULL,
    whole timestamp,
    precise timestamp(0),
    stamp timestamptz,
    clock time,
    done boolean,
    doc json,
    docb jsonb,
    numbers json
  );
  INSERT INTO events (at, whole, precise, stamp, clock, done, doc, docb, numbers) VALUES
    ('2024-01-05 12:30:00.25', '2024-01-05 12:30:00', '2024-01-05 12:30:00', '2024-07-01 08:00:00.123456+02', '12:30:00.25', true,
     '{"a": 1.50, "b": [1e2]}', '{"b": [1, 2]}', '1.50'),
    ('2024-01-06 10:00:01', '2024-01-06 10:00:01', NULL, '2024-07-02 00:00:00+00', '23:59:59', false, '"text"', 'null', '{"x": 1}'),
    ('2024-01-07 00:00:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ' 12');
  CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL, written timestamptz NOT NULL);
  INSERT INTO notes (body, written) VALUES ('first', '2024-03-04 05:06:07.5+00');
  CREATE TABLE far (id serial PRIMARY KEY, at timestamp, stamp timestamptz);
  INSERT INTO far (at, stamp) VALUES ('infinity', '-infinity'), ('2024-01-05 12:30:00.25', '2024-07-01 08:00:00+00');`;

/** An app's own file (Sequelize's declarations): the same columns, its own types and an index. */
const APP_FILE = `
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL, whole DATETIME, precise DATETIME, stamp DATETIME, clock TIME,
    done TINYINT(1), doc JSON, docb JSON, numbers TEXT);
  CREATE INDEX events_at ON events (at);
  CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(255) NOT NULL, written DATETIME NOT NULL, extra TEXT);`;

type Row = Record<string, unknown>;

function read(file: string, sql: string): Row[] {
  const db = openSqlite(file);
  try {
    return db.prepare(sql).all() as Row[];
  } finally {
    db.close();
  }
}

/** Each column's values of `events` with their storage class, in id order. */
function columnValues(file: string, column: string): string[] {
  return read(file, `SELECT typeof("${column}") || ':' || coalesce("${column}", 'NULL') AS v FROM events ORDER BY id`).map((r) => r.v as string);
}

const declared = (file: string, table: string) => Object.fromEntries(read(file, `SELECT name, type FROM pragma_table_info('${table}')`).map((r) => [r.name, r.type]));

describe('pull of tables no hesap push made', () => {
  let pg: TestDatabase;
  const tmp = tempDir('hesap-pull-forms');
  const fresh = path.join(tmp.dir, 'fresh.db');

  beforeAll(async () => {
    pg = await createTestDatabase('pull_forms');
    await pg.query(EVENTS);
    await pull({ local: fresh, remote: pg.url });
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('writes date-times with six fraction digits where any value of the column has a fraction, none where none has', () => {
    expect(columnValues(fresh, 'at')).toEqual(['text:2024-01-05 12:30:00.250000', 'text:2024-01-06 10:00:01.000000', 'text:2024-01-07 00:00:00.000000']);
    expect(columnValues(fresh, 'whole')).toEqual(['text:2024-01-05 12:30:00', 'text:2024-01-06 10:00:01', 'null:NULL']);
    expect(columnValues(fresh, 'precise')).toEqual(['text:2024-01-05 12:30:00', 'null:NULL', 'null:NULL']);
    expect(columnValues(fresh, 'clock')).toEqual(['text:12:30:00.250000', 'text:23:59:59.000000', 'null:NULL']);
  });

  it('writes a timestamptz as its UTC time ending +00:00', () => {
    expect(columnValues(fresh, 'stamp')).toEqual(['text:2024-07-01 06:00:00.123456+00:00', 'text:2024-07-02 00:00:00.000000+00:00', 'null:NULL']);
    expect(read(fresh, 'SELECT written FROM notes')).toEqual([{ written: '2024-03-04 05:06:07.500000+00:00' }]);
    // Values no form spells are written as PostgreSQL prints them.
    expect(read(fresh, 'SELECT at, stamp FROM far ORDER BY id')).toEqual([
      { at: 'infinity', stamp: '-infinity' },
      { at: '2024-01-05 12:30:00.250000', stamp: '2024-07-01 08:00:00+00:00' },
    ]);
  });

  it('writes booleans as 0/1 and every JSON document as its very text', () => {
    expect(columnValues(fresh, 'done')).toEqual(['integer:1', 'integer:0', 'null:NULL']);
    expect(columnValues(fresh, 'doc')).toEqual(['text:{"a": 1.50, "b": [1e2]}', 'text:"text"', 'null:NULL']);
    expect(columnValues(fresh, 'docb')).toEqual(['text:{"b": [1, 2]}', 'text:null', 'null:NULL']);
    expect(columnValues(fresh, 'numbers')).toEqual(['text:1.50', 'text:{"x": 1}', 'text: 12']);
  });

  it('declares the types ORMs map by their declarations: DATETIME, BOOLEAN, and JSON where no document is a bare number', () => {
    expect(declared(fresh, 'events')).toEqual({
      id: 'INTEGER',
      at: 'DATETIME',
      whole: 'DATETIME',
      precise: 'DATETIME',
      stamp: 'DATETIME',
      clock: 'TIME',
      done: 'BOOLEAN',
      doc: 'JSON',
      docb: 'JSON',
      // JSON's NUMERIC affinity would store the document 1.50 as the number 1.5.
      numbers: 'TEXT',
    });
  });

  it('verify finds the pulled file and the database the same', async () => {
    const result = await verify({ local: fresh, remote: pg.url });
    expect(result.tables.filter((t) => t.status !== 'same')).toEqual([]);
  });

  it('a push of the pulled file back changes nothing', async () => {
    const before = await pg.query('SELECT * FROM events ORDER BY id');
    const result = await push({ local: fresh, remote: pg.url, tables: ['events', 'notes'] });
    expect(result.tables.map((t) => ({ table: t.table, inserted: t.inserted, updated: t.updated }))).toEqual([
      { table: 'events', inserted: 0, updated: 0 },
      { table: 'notes', inserted: 0, updated: 0 },
    ]);
    expect(await pg.query('SELECT * FROM events ORDER BY id')).toEqual(before);
  });

  it("a whole pull into the app's file keeps the declarations and indexes of each table it has with the same columns", async () => {
    const file = writeSqlite(path.join(tmp.dir, 'app.db'), APP_FILE);
    const appEvents = read(file, "SELECT sql FROM sqlite_schema WHERE tbl_name = 'events' ORDER BY name");
    await pull({ local: file, remote: pg.url });
    expect(read(file, "SELECT sql FROM sqlite_schema WHERE tbl_name = 'events' ORDER BY name")).toEqual(appEvents);
    expect(columnValues(file, 'at')).toEqual(columnValues(fresh, 'at'));
    expect(columnValues(file, 'stamp')).toEqual(columnValues(fresh, 'stamp'));
    expect(columnValues(file, 'done')).toEqual(['integer:1', 'integer:0', 'null:NULL']);
    expect(columnValues(file, 'doc')).toEqual(columnValues(fresh, 'doc'));
    // notes has a column production lacks: it becomes production's table.
    expect(declared(file, 'notes')).toEqual({ id: 'INTEGER', body: 'TEXT', written: 'DATETIME' });
    const result = await verify({ local: file, remote: pg.url });
    expect(result.tables.filter((t) => t.status !== 'same')).toEqual([]);
  });

  it("a whole pull makes a table production's where the app's declaration would change a value", async () => {
    const file = writeSqlite(
      path.join(tmp.dir, 'drift.db'),
      // JSON's NUMERIC affinity would make the document 1.50 the number 1.5; INTEGER would make text '007' the number 7.
      APP_FILE.replace('numbers TEXT', 'numbers JSON').replace('body VARCHAR(255) NOT NULL, written DATETIME NOT NULL, extra TEXT', 'body INTEGER NOT NULL, written DATETIME NOT NULL'),
    );
    await pg.query("INSERT INTO notes (body, written) VALUES ('007', '2024-03-05 00:00:00+00')");
    try {
      await pull({ local: file, remote: pg.url });
    } finally {
      await pg.query("DELETE FROM notes WHERE body = '007'");
    }
    expect(declared(file, 'events')).toEqual(declared(fresh, 'events'));
    expect(columnValues(file, 'numbers')).toEqual(['text:1.50', 'text:{"x": 1}', 'text: 12']);
    expect(declared(file, 'notes')).toEqual({ id: 'INTEGER', body: 'TEXT', written: 'DATETIME' });
    expect(read(file, 'SELECT typeof(body) AS t, body FROM notes ORDER BY id')).toEqual([
      { t: 'text', body: 'first' },
      { t: 'text', body: '007' },
    ]);
  });

  it('a pull of tables the file has keeps their declarations too', async () => {
    const file = writeSqlite(path.join(tmp.dir, 'partial.db'), APP_FILE);
    await pull({ local: file, remote: pg.url, tables: ['events'] });
    expect(declared(file, 'events')).toMatchObject({ at: 'DATETIME', done: 'TINYINT(1)', numbers: 'TEXT' });
    for (const column of ['at', 'stamp', 'clock', 'done', 'doc', 'numbers']) expect(columnValues(file, column)).toEqual(columnValues(fresh, column));
  });
});

describe('pull of tables a hesap push made', () => {
  let pg: TestDatabase;
  const tmp = tempDir('hesap-pull-forms-pushed');

  afterAll(async () => {
    await pg?.drop();
    tmp.cleanup();
  });

  it('gives back the very text pushed, in the shortest form where that was the form', async () => {
    pg = await createTestDatabase('pull_forms_pushed');
    const local = writeSqlite(path.join(tmp.dir, 'local.db'), 'CREATE TABLE t (id INTEGER PRIMARY KEY, at DATETIME, doc JSON)', (db) => {
      db.prepare('INSERT INTO t (at, doc) VALUES (?, ?), (?, ?)').run('2024-01-05 12:30:00.25', '{"a": 1}', '2024-01-06 10:00:01', '{"b": 2}');
    });
    await push({ local, remote: pg.url });
    const back = path.join(tmp.dir, 'back.db');
    await pull({ local: back, remote: pg.url });
    expect(read(back, 'SELECT at, doc FROM t ORDER BY id')).toEqual([
      { at: '2024-01-05 12:30:00.25', doc: '{"a": 1}' },
      { at: '2024-01-06 10:00:01', doc: '{"b": 2}' },
    ]);
    expect(declared(back, 't')).toEqual({ id: 'INTEGER', at: 'DATETIME', doc: 'JSON' });
  });
});
