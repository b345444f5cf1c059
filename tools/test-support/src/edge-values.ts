import Database from 'better-sqlite3';

/**
 * A SQLite database holding every value that breaks hand-written sync scripts: NULL
 * next to '', quotes, commas, CR/LF, tabs, backslashes, `\N`, the text `NULL`, `\.`,
 * emoji and right-to-left text, a 1 MB text, blobs with zero bytes and empty blobs,
 * integers at ±(2^63−1) and 2^53+1, floats 0.1, −0.0, 1e308, 5e-324 and the
 * infinities, booleans, datetimes, JSON, decimals, composite keys, a self-reference,
 * AUTOINCREMENT with a gap, reserved and mixed-case names, unique constraints and
 * indexes.
 */
export const EDGE_TEXTS: readonly (string | null)[] = [
  null,
  '',
  ' ',
  '"',
  '""',
  ',',
  'a,b',
  '"quoted", with comma',
  '\r',
  '\n',
  '\r\n',
  'line1\nline2\r\nline3',
  '\t',
  'tab\there',
  '\\',
  '\\N',
  '\\.',
  'NULL',
  'null',
  "it's",
  '😀👍🏽 emoji',
  'שלום עולם',
  'مرحبا بالعالم',
  'Ünïcödé ßø',
  ' leading and trailing ',
  'x'.repeat(1024 * 1024),
];

export function buildEdgeValueDatabase(file: string): void {
  const db = new Database(file);
  try {
    db.exec(`
      CREATE TABLE edge_text (id INTEGER PRIMARY KEY, v TEXT);
      CREATE TABLE edge_blob (id INTEGER PRIMARY KEY, b BLOB);
      CREATE TABLE edge_int (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
      CREATE TABLE edge_float (id INTEGER PRIMARY KEY, f REAL);
      CREATE TABLE edge_untyped (id INTEGER PRIMARY KEY, f, t, i);
      CREATE TABLE edge_bool (id INTEGER PRIMARY KEY, b BOOLEAN);
      CREATE TABLE edge_time (id INTEGER PRIMARY KEY, at DATETIME, day DATE, epoch DATETIME, typeorm_at DATETIME);
      CREATE TABLE edge_json (id INTEGER PRIMARY KEY, doc JSON);
      CREATE TABLE edge_decimal (id INTEGER PRIMARY KEY, price NUMERIC(10,2), ratio DECIMAL);
      CREATE TABLE edge_seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
      CREATE TABLE edge_empty (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL DEFAULT 'x', created DATETIME DEFAULT CURRENT_TIMESTAMP);
      CREATE TABLE "user" (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, "group" TEXT, "Order" INTEGER);
      CREATE TABLE "CamelTable" ("Id" INTEGER PRIMARY KEY, "Name" TEXT, "lowerName" TEXT);
      CREATE TABLE edge_tree (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES edge_tree (id) ON DELETE CASCADE, label TEXT);
      CREATE TABLE edge_pair (a INTEGER NOT NULL, b TEXT NOT NULL, v TEXT, PRIMARY KEY (a, b));
      CREATE TABLE edge_pair_child (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, FOREIGN KEY (a, b) REFERENCES edge_pair (a, b) ON UPDATE CASCADE);
      CREATE TABLE edge_indexed (id INTEGER PRIMARY KEY, code TEXT, region TEXT, score INTEGER, UNIQUE (code, region));
      CREATE INDEX edge_indexed_score ON edge_indexed (score);
      CREATE UNIQUE INDEX edge_indexed_region_score ON edge_indexed (region, score);
    `);
    const ins = (sql: string, rows: unknown[][]) => {
      const stmt = db.prepare(sql);
      for (const row of rows) stmt.run(row);
    };
    db.transaction(() => {
      ins('INSERT INTO edge_text (v) VALUES (?)', EDGE_TEXTS.map((t) => [t]));
      ins('INSERT INTO edge_blob (b) VALUES (?)', [
        [null],
        [Buffer.alloc(0)],
        [Buffer.from([0])],
        [Buffer.from([0, 255, 0, 1, 2])],
        [Buffer.from('not text but bytes', 'utf8')],
        [Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
      ]);
      ins('INSERT INTO edge_int (n) VALUES (?)', [
        [0n],
        [1n],
        [-1n],
        [2n ** 63n - 1n],
        [-(2n ** 63n - 1n)],
        [-(2n ** 63n)],
        [2n ** 53n + 1n],
        [-(2n ** 53n + 1n)],
      ]);
      ins('INSERT INTO edge_float (f) VALUES (?)', [
        [0.1],
        [-0],
        [0],
        [1e308],
        [5e-324],
        [Number.MAX_VALUE],
        [-2.5],
        [1 / 3],
        [Infinity],
        [-Infinity],
        [123456789.12345679],
        [0.30000000000000004],
        [null],
      ]);
      ins('INSERT INTO edge_untyped (f, t, i) VALUES (?, ?, ?)', [
        [-0, 'text', 5n],
        [1.5, '12', 2n ** 62n],
        [5e-324, '', -7n],
        [null, null, null],
      ]);
      ins('INSERT INTO edge_bool (b) VALUES (?)', [[1n], [0n], [null], [1n]]);
      // typeorm_at: TypeORM writes datetimes with exactly three fraction digits.
      ins('INSERT INTO edge_time (at, day, epoch, typeorm_at) VALUES (?, ?, ?, ?)', [
        ['2024-02-29 23:59:59', '2024-02-29', 1709251199n, '2024-02-29 23:59:59.000'],
        ['2024-01-01 00:00:00.123', '1999-12-31', 0n, '2024-01-01 00:00:00.120'],
        ['1970-01-01 00:00:00.5', '0001-01-01', -1n, '1970-01-01 00:00:00.001'],
        [null, null, null, null],
      ]);
      ins('INSERT INTO edge_json (doc) VALUES (?)', [
        ['{"a":1}'],
        ['[1, 2 ,3]'],
        ['  {"spaced" : "kept as written"}  '],
        ['{"nested":{"k":[true,null,"\\u00e9"]}}'],
        ['"just a string"'],
        [null],
      ]);
      ins('INSERT INTO edge_decimal (price, ratio) VALUES (?, ?)', [
        [0.99, 0.5],
        [2n, 1n],
        [12345678.5, 1e-10],
        [-0.01, -3n],
        [null, null],
      ]);
      ins('INSERT INTO edge_seq (v) VALUES (?)', [['a'], ['b'], ['c']]);
      db.prepare('DELETE FROM edge_seq WHERE v = ?').run('c');
      ins('INSERT INTO "user" (id, email, "group", "Order") VALUES (?, ?, ?, ?)', [
        [1n, 'ali@example.com', 'admins', 1n],
        [7n, 'ayse@example.com', null, 2n],
      ]);
      ins('INSERT INTO "CamelTable" ("Id", "Name", "lowerName") VALUES (?, ?, ?)', [[1n, 'Upper', 'lower']]);
      ins('INSERT INTO edge_tree (id, parent_id, label) VALUES (?, ?, ?)', [
        [1n, null, 'root'],
        [2n, 1n, 'child'],
        [3n, 2n, 'grandchild'],
        [4n, 4n, 'its own parent'],
      ]);
      ins('INSERT INTO edge_pair (a, b, v) VALUES (?, ?, ?)', [
        [1n, 'x', 'one-x'],
        [1n, 'y', 'one-y'],
        [2n, 'x', null],
      ]);
      ins('INSERT INTO edge_pair_child (a, b) VALUES (?, ?)', [
        [1n, 'x'],
        [1n, 'y'],
        [null, null],
      ]);
      ins('INSERT INTO edge_indexed (code, region, score) VALUES (?, ?, ?)', [
        ['a', 'eu', 1n],
        ['a', 'us', 2n],
        ['b', 'eu', 3n],
      ]);
    })();
  } finally {
    db.close();
  }
}
