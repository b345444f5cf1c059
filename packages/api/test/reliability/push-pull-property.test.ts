import * as path from 'node:path';
import * as fc from 'fast-check';
import { HesapError } from '@hesap/core';
import { createTestDatabase, dumpSqlite, pgFingerprint, sqliteDeclarations, tempDir, writeSqlite } from '@hesap/test-support';
import { pull, push } from '@hesap/api';

/**
 * Property: any SQLite table whose values agree with its declared types comes back from
 * push (to a fresh PostgreSQL database) then pull (to a new file) with every value and its
 * storage class, its columns and keys. fast-check generates the tables and shrinks a failure
 * to a small one.
 */

type Value = null | bigint | number | string | Buffer;

interface ColumnSpec {
  name: string;
  declared: string;
}

interface TableSpec {
  name: string;
  withId: boolean;
  columns: ColumnSpec[];
  rows: Value[][];
}

/**
 * Declared widths PostgreSQL has (issue 19): the type a push creates when every value fits it,
 * and when one does not (SQLite checks no width).
 */
const WIDTHS: Record<string, { fits: (v: Value) => boolean; type: string; wider: string }> = {
  INT: { fits: (v) => typeof v === 'bigint' && v >= -(2n ** 31n) && v < 2n ** 31n, type: 'integer', wider: 'bigint' },
  SMALLINT: { fits: (v) => typeof v === 'bigint' && v >= -(2n ** 15n) && v < 2n ** 15n, type: 'smallint', wider: 'bigint' },
  'VARCHAR(8)': { fits: (v) => typeof v === 'string' && [...v].length <= 8, type: 'character varying', wider: 'text' },
  'CHAR(3)': { fits: (v) => typeof v === 'string' && [...v].length === 3, type: 'character', wider: 'text' },
};

// '' is a column without a declared type: any value. hesap refuses some mixes there by design
// (BLOBs with other values, integers with whole-number reals: no single PostgreSQL type
// keeps both apart), with an error naming table, column and row; ' blobs' is an untyped
// column of BLOBs only, which must always go through.
const DECLARED = ['INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC(10,2)', 'BOOLEAN', 'DATETIME', '', ' blobs', ...Object.keys(WIDTHS)] as const;

// Names that need quoting everywhere; unique ignoring case, as SQLite compares them.
const NAMES = ['a', 'Bee', 'user', 'select', 'order', 'group', 'x y', 'q"uote', 'dot.ted', 'semi;colon', 'Ünï', '😀', 'new\nline', 'value', 'from'];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

const text = fc.oneof(
  fc.constant(''),
  fc.constantFrom(' ', 'NULL', '\\N', '"', ',', '\r\n', '007', '1e3', '-0', 'Infinity', 'true', '2024-01-01'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  // No lone surrogates (they are not text) and no NUL (refused by design: see hostile-values).
  fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s && !s.includes('\u0000')),
);

const bigints = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n),
);

const doubles = fc.oneof(
  fc.double({ noNaN: true }),
  fc.constantFrom(0.1, -0.25, 1e308, -1e308, 5e-324, Infinity, -Infinity, 2.5, 1 / 3),
);

/** The parts of a timestamp (days up to 28: every month has them). */
const instant = {
  y: fc.integer({ min: 1, max: 9999 }),
  mo: fc.integer({ min: 1, max: 12 }),
  d: fc.integer({ min: 1, max: 28 }),
  h: fc.integer({ min: 0, max: 23 }),
  mi: fc.integer({ min: 0, max: 59 }),
  s: fc.integer({ min: 0, max: 59 }),
  us: fc.integer({ min: 0, max: 999_999 }),
};

const timestamps = fc
  .record({ ...instant, form: fc.constantFrom('datetime', 'date', 'fraction', 'millis', 'iso') })
  .map(({ y, mo, d, h, mi, s, us, form }) => {
    const date = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
    const time = `${pad(h)}:${pad(mi)}:${pad(s)}`;
    switch (form) {
      case 'date':
        return date;
      case 'fraction':
        return `${date} ${time}.${String(us).padStart(6, '0').replace(/0+$/, '') || '5'}`;
      case 'millis':
        return `${date} ${time}.${pad(us % 1000, 3)}`;
      case 'iso':
        return `${date}T${time}.${pad(us % 1000, 3)}Z`;
      default:
        return `${date} ${time}`;
    }
  });

// One form for a whole column, as each ORM writes it: `DATETIME@<form>` (the form is not part of the declaration).
const FORMS = ['six', 'python', 'python-space', 'aware', 'sequelize', 'iso-js', 'paris', 'seconds-t', 'two'] as const;

/** Timestamps of a column written in one ORM's form (see datetime-forms.test.ts for who writes which). */
function formed(form: string): fc.Arbitrary<Value> {
  return fc
    .record({ ...instant, us: fc.oneof(fc.constant(0), instant.us) })
    .filter(({ y, mo, d, h }) => form !== 'paris' || !(y === 1 && mo === 1 && d === 1 && h === 0))
    .map(({ y, mo, d, h, mi, s, us }) => {
      const date = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
      const time = `${pad(h)}:${pad(mi)}:${pad(s)}`;
      const six = String(us).padStart(6, '0');
      switch (form) {
        case 'six':
          return `${date} ${time}.${six}`;
        case 'python':
          return `${date}T${time}${us ? `.${six}` : ''}`;
        case 'python-space':
          return `${date} ${time}${us ? `.${six}` : ''}`;
        case 'aware':
          return `${date}T${time}${us ? `.${six}` : ''}+00:00`;
        case 'sequelize':
          return `${date} ${time}.${six.slice(0, 3)} +00:00`;
        case 'iso-js':
          return `${date}T${time}.${six.slice(0, 3)}Z`;
        case 'paris':
          return `${date} ${time}.${six.slice(0, 3)}+01:00`;
        case 'seconds-t':
          return `${date}T${time}`;
        default:
          return `${date} ${time}.${six.slice(0, 2)}`;
      }
    });
}

/** Values consistent with each declared type, NULL included. */
function valueFor(declared: string): fc.Arbitrary<Value> {
  const nul = fc.constant(null);
  if (declared.startsWith('DATETIME@')) return fc.oneof(nul, formed(declared.slice('DATETIME@'.length)));
  switch (declared) {
    case 'INTEGER':
      return fc.oneof(nul, bigints);
    case 'INT':
      return fc.oneof(nul, fc.integer().map((n) => BigInt(n)), bigints);
    case 'SMALLINT':
      return fc.oneof(nul, fc.integer({ min: -32768, max: 32767 }).map((n) => BigInt(n)), bigints);
    case 'VARCHAR(8)':
      return fc.oneof(nul, text);
    case 'CHAR(3)':
      return fc.oneof(nul, fc.string({ minLength: 3, maxLength: 3 }), text);
    case 'REAL':
      return fc.oneof(nul, doubles);
    case 'TEXT':
      return fc.oneof(nul, text);
    case 'BLOB':
      return fc.oneof(nul, fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)));
    case 'NUMERIC(10,2)':
      return fc.oneof(
        nul,
        fc.integer({ min: -99_999_999, max: 99_999_999 }).map((n) => BigInt(n)),
        fc.integer({ min: -9_999_999_999, max: 9_999_999_999 }).map((n) => n / 100),
      );
    case 'BOOLEAN':
      return fc.constantFrom<Value>(null, 0n, 1n);
    case 'DATETIME':
      return fc.oneof(nul, timestamps);
    case ' blobs':
      return fc.oneof(nul, fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)));
    default:
      return fc.oneof(nul, bigints, doubles, text, fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)));
  }
}

// An untyped column gets values of every storage class, so it is the one a push may refuse.
// It comes a quarter as often as each declared type: with the untyped column as common as
// the others, about half the generated databases were refused and the "most go all the way"
// check below failed on some seeds (8 round trips of 20 seen in CI).
const declared = fc.oneof(
  ...DECLARED.map((d) => ({ arbitrary: fc.constant<string>(d), weight: d === '' ? 1 : 4 })),
  { arbitrary: fc.constantFrom(...FORMS).map((f) => `DATETIME@${f}`), weight: 4 },
);

const table: fc.Arbitrary<TableSpec> = fc
  .record({
    name: fc.constantFrom('t', 'Data Table', 'order', 'ünï"code', '😀 emoji'),
    withId: fc.boolean(),
    columns: fc.uniqueArray(
      fc.record({ name: fc.constantFrom(...NAMES), declared }),
      { minLength: 1, maxLength: 6, selector: (c) => c.name.toLowerCase() },
    ),
  })
  .chain((t) => fc.record({ name: fc.constant(t.name), withId: fc.constant(t.withId), columns: fc.constant(t.columns), rows: fc.array(fc.tuple(...t.columns.map((c) => valueFor(c.declared))), { maxLength: 25 }) }));

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function buildFile(file: string, tables: TableSpec[]): void {
  writeSqlite(file, '', (db) => {
    for (const t of tables) {
      const columns = [...(t.withId ? ['"id" INTEGER PRIMARY KEY'] : []), ...t.columns.map((c) => `${quote(c.name)} ${c.declared.replace(' blobs', '').replace(/@.*/, '')}`.trim())];
      db.exec(`CREATE TABLE ${quote(t.name)} (${columns.join(', ')})`);
      const insert = db.prepare(`INSERT INTO ${quote(t.name)} (${t.columns.map((c) => quote(c.name)).join(', ')}) VALUES (${t.columns.map(() => '?').join(', ')})`);
      for (const row of t.rows) insert.run(row);
    }
  });
}

const show = (v: Value) => (typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) ? `x'${v.toString('hex')}'` : JSON.stringify(v));

describe('push then pull keeps every generated table', () => {
  const tmp = tempDir('hesap-prop');
  afterAll(() => tmp.cleanup());

  it('value and storage class, columns and keys, for random tables of every declared type', async () => {
    let run = 0;
    const outcomes = { roundTrips: 0, refused: [] as string[] };
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(table, { minLength: 1, maxLength: 3, selector: (t) => t.name.toLowerCase() }), async (tables) => {
        run++;
        const local = path.join(tmp.dir, `gen-${run}.db`);
        const back = path.join(tmp.dir, `back-${run}.db`);
        buildFile(local, tables);
        const pg = await createTestDatabase('prop');
        try {
          const pushed = await push({ local, remote: pg.url }).catch((error: unknown) => error as HesapError);
          if (pushed instanceof Error) {
            // Allowed: a refusal naming table, column and row, in an untyped column, with nothing written.
            const table = tables.find((t) => t.name === pushed.table);
            const column = table?.columns.find((c) => c.name === pushed.column);
            expect({ code: pushed.code, declared: column?.declared, row: pushed.row, message: pushed.message }).toEqual({
              code: 'TYPE_MISMATCH',
              declared: '',
              row: expect.any(String),
              message: pushed.message,
            });
            expect(await pgFingerprint(pg)).toEqual({});
            outcomes.refused.push(pushed.message);
            return;
          }
          // A column written in one ORM's form is a date-time column in PostgreSQL, not text.
          for (const t of tables) {
            for (const [i, c] of t.columns.entries()) {
              if (!c.declared.startsWith('DATETIME@') || t.rows.every((r) => r[i] === null)) continue;
              const [row] = await pg.query<{ type: string }>(
                'SELECT data_type AS type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3',
                ['public', t.name, c.name],
              );
              expect({ column: c, type: row?.type }).toEqual({ column: c, type: expect.stringMatching(/^timestamp/) });
            }
          }
          // A declared width is kept where every value fits it.
          for (const t of tables) {
            for (const [i, c] of t.columns.entries()) {
              const width = WIDTHS[c.declared];
              if (!width) continue;
              const [row] = await pg.query<{ type: string }>(
                'SELECT data_type AS type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3',
                ['public', t.name, c.name],
              );
              const values = t.rows.map((r) => r[i]!).filter((v) => v !== null);
              expect({ column: c, type: row?.type }).toEqual({ column: c, type: values.every(width.fits) ? width.type : width.wider });
            }
          }
          await pull({ local: back, remote: pg.url });
          expect(sqliteDeclarations(back)).toEqual(sqliteDeclarations(local));
          const expected = dumpSqlite(local);
          const actual = dumpSqlite(back);
          expect(actual.tables).toEqual(expected.tables);
          expect(actual.sequences).toEqual(expected.sequences);
          outcomes.roundTrips++;
        } catch (error) {
          const described = tables.map((t) => `${t.name}(${t.columns.map((c) => `${c.name} ${c.declared}`).join(', ')}): ${t.rows.map((r) => `(${r.map(show).join(', ')})`).join(' ')}`);
          throw new Error(`${(error as Error).message}\n\nTables:\n${described.join('\n')}`);
        } finally {
          await pg.drop();
        }
      }),
      { numRuns: Number(process.env.HESAP_PROPERTY_RUNS ?? 20), endOnFailure: false },
    );
    // Most generated databases must go all the way (refusals are the exception).
    expect(outcomes.roundTrips).toBeGreaterThanOrEqual(10);
  }, 300_000);

  // Found by the property above (and fixed): an untyped column holding an INTEGER and a
  // whole-number REAL beyond 64 bits (1e19, -1e308) was pushed as numeric and its pull then
  // failed with 'RangeError: The bound string, buffer, or bigint is too big'.
  it.each([
    ['-1e308', -1e308],
    ['1e19', 1e19],
  ])('an untyped column with 0 and %s comes back from push and pull, or is refused before the push writes it', async (_label, real) => {
    const local = writeSqlite(path.join(tmp.dir, 'big-real.db'), 'CREATE TABLE t (id INTEGER PRIMARY KEY, x)', (db) => {
      db.prepare('INSERT INTO t (x) VALUES (?), (?)').run(real, 0n);
    });
    const pg = await createTestDatabase('prop_real');
    try {
      const pushed = await push({ local, remote: pg.url }).catch((error: unknown) => error as HesapError);
      if (pushed instanceof Error) {
        expect(pushed).toMatchObject({ code: 'TYPE_MISMATCH', table: 't', column: 'x', row: 'id=1' });
        return;
      }
      const back = path.join(tmp.dir, 'big-real-back.db');
      await pull({ local: back, remote: pg.url });
      expect(dumpSqlite(back).tables).toEqual(dumpSqlite(local).tables);
    } finally {
      await pg.drop();
    }
  });
});
