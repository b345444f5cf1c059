import type { WireValue } from '../csv/csv-encoder';
import type { Column, ForeignKey, Index, KeyConstraint, NeutralType, SequenceState, Table } from '../schema';

/**
 * The named fixtures of the conformance kit: each is a few neutral tables with their
 * rows, chosen for one way a database or a codec tends to lose a value. An adapter
 * passes a fixture when every row comes back with the same canonical values and every
 * table with the same keys.
 */

/** One table of a fixture and its rows (values in column order). */
export interface FixtureTable {
  table: Table;
  rows: WireValue[][];
}

export interface Fixture {
  /** Stable kebab-case name, used in test titles and in `knownProblems`. */
  name: string;
  /** What the fixture is about, one line. */
  about: string;
  /** Parents before children. */
  tables: FixtureTable[];
  /**
   * The values or names are beyond what some databases can hold (NaN, astral-plane
   * names). A target may refuse them with a HesapError that names the problem; it must
   * never store them changed.
   */
  mayRefuse?: boolean;
}

type ColumnSpec = [name: string, type: NeutralType, extra?: Partial<Column>];

/** A column as most sources describe one: nullable, declared as its neutral type. */
function col([name, type, extra]: ColumnSpec): Column {
  return { name, type, declaredType: type, nullable: true, ...extra };
}

interface TableSpec {
  primaryKey?: string[];
  uniques?: string[][];
  foreignKeys?: Array<[columns: string[], table: string, references: string[]]>;
  indexes?: Array<[name: string, columns: string[], unique?: boolean]>;
  sequence?: SequenceState;
}

/** A neutral table; primary key columns are NOT NULL. */
export function fixtureTable(name: string, columns: ColumnSpec[], spec: TableSpec = {}): Table {
  const pk = new Set(spec.primaryKey ?? []);
  const keys = (columns: string[]): KeyConstraint => ({ columns });
  const foreignKeys: ForeignKey[] = (spec.foreignKeys ?? []).map(([columns, table, references]) => ({
    columns,
    references: { table, columns: references },
    onDelete: 'NO ACTION',
    onUpdate: 'NO ACTION',
  }));
  const indexes: Index[] = (spec.indexes ?? []).map(([indexName, columns, unique]) => ({ name: indexName, columns, unique: unique ?? false }));
  return {
    name,
    columns: columns.map((c) => {
      const column = col(c);
      return pk.has(column.name) ? { ...column, nullable: false } : column;
    }),
    primaryKey: spec.primaryKey ? keys(spec.primaryKey) : undefined,
    uniques: (spec.uniques ?? []).map(keys),
    foreignKeys,
    indexes,
    sequence: spec.sequence,
  };
}

/** A table `name (id integer primary key, <one column>)` holding one row per value. */
function oneColumn(name: string, type: NeutralType, values: WireValue[], extra?: Partial<Column>): FixtureTable {
  return {
    table: fixtureTable(name, [['id', 'integer'], ['value', type, extra]], { primaryKey: ['id'] }),
    rows: values.map((v, i) => [i + 1, v]),
  };
}

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
/** Deterministic pseudo-random bytes (no randomness in fixtures: failures must repeat). */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const FIXTURES: readonly Fixture[] = [
  {
    name: 'null-vs-empty',
    about: 'NULL, the empty string and the empty blob are three different values',
    tables: [
      {
        table: fixtureTable('nulls', [['id', 'integer'], ['text', 'text'], ['blob', 'bytes'], ['number', 'integer']], { primaryKey: ['id'] }),
        rows: [
          [1, null, null, null],
          [2, '', Buffer.alloc(0), 0],
          [3, ' ', Buffer.from([0]), null],
          [4, 'NULL', Buffer.from('NULL'), -1],
          [5, '\\N', Buffer.from('\\N'), null],
          [6, '""', null, 1],
        ],
      },
    ],
  },
  {
    name: 'quotes-and-newlines',
    about: 'CSV and SQL metacharacters inside text',
    tables: [
      oneColumn('quotes', 'text', [
        '"',
        '""',
        "'",
        "''",
        '`',
        'a,b',
        ',',
        '\n',
        '\r\n',
        '\r',
        'line 1\nline 2\n',
        '\\.',
        '\\',
        '\\\\n',
        '\t',
        '"quoted", with comma\nand newline',
        "'); DROP TABLE quotes; --",
        '  leading and trailing spaces  ',
      ]),
    ],
  },
  {
    name: 'unicode',
    about: 'text beyond ASCII: accents, composed and decomposed forms, CJK, RTL, astral emoji',
    tables: [
      oneColumn('unicode', 'text', [
        'ğüşıöç İĞÜŞÖÇ',
        '\u00e4',
        'a\u0308',
        '日本語のテキスト',
        'مرحبا بالعالم',
        '😀 👨‍👩‍👧 🏳️‍🌈',
        '\uFEFFbom',
        '\uFFFD',
        '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
        '\u200b',
        'ß ẞ ﬁ',
      ]),
    ],
  },
  {
    name: 'big-integers',
    about: 'integers to the ends of 64 bits, past 2^53',
    tables: [
      oneColumn('integers', 'integer', [
        0,
        1,
        -1,
        2147483647,
        -2147483648,
        2147483648,
        9007199254740991,
        9007199254740993n,
        -9007199254740993n,
        9223372036854775807n,
        -9223372036854775808n,
      ]),
    ],
  },
  {
    name: 'floats',
    about: 'doubles that must read back bit for bit',
    tables: [
      oneColumn('floats', 'float', [
        0,
        0.1,
        -0.1,
        1 / 3,
        0.30000000000000004,
        1e-300,
        5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        123456789.12345679,
        9007199254740994,
        1e21,
        1e-7,
        -2.5,
      ]),
    ],
  },
  {
    name: 'float-specials',
    about: 'negative zero and the infinities: kept, or refused',
    mayRefuse: true,
    tables: [oneColumn('float_specials', 'float', [-0, Infinity, -Infinity])],
  },
  {
    name: 'float-nan',
    about: 'NaN: kept, or refused',
    mayRefuse: true,
    tables: [oneColumn('float_nan', 'float', [NaN])],
  },
  {
    name: 'decimals',
    about: 'exact decimals, bounded and unbounded',
    tables: [
      {
        table: fixtureTable(
          'decimals',
          [
            ['id', 'integer'],
            ['money', 'decimal', { precision: 12, scale: 4, declaredType: 'decimal(12,4)' }],
            ['ratio', 'decimal'],
          ],
          { primaryKey: ['id'] },
        ),
        rows: [
          [1, '0', '0'],
          [2, '1.5', '0.000001'],
          [3, '-99999999.9999', '-123456789012.5'],
          [4, '0.0001', '3.14159265358979'],
          [5, '12345678.1234', '100'],
        ],
      },
    ],
  },
  {
    name: 'blobs',
    about: 'bytes: every byte value, invalid UTF-8, a large value',
    tables: [oneColumn('blobs', 'bytes', [allBytes, Buffer.from([0xff, 0xfe, 0x00, 0xc3]), Buffer.from('plain text'), noise(200_000, 7)])],
  },
  {
    name: 'booleans',
    about: 'true, false and NULL',
    tables: [oneColumn('booleans', 'boolean', [true, false, null, true])],
  },
  {
    name: 'datetimes',
    about: 'dates, times and timestamps with and without fractions and zone',
    tables: [
      {
        table: fixtureTable(
          'datetimes',
          [
            ['id', 'integer'],
            ['day', 'date'],
            ['clock', 'time'],
            ['moment', 'timestamp'],
            ['instant', 'timestamptz'],
          ],
          { primaryKey: ['id'] },
        ),
        rows: [
          [1, '2024-02-29', '00:00:00', '2024-02-29 23:59:59.123456', '2024-01-01 12:00:00+00'],
          [2, '1999-12-31', '23:59:59.999999', '1970-01-01 00:00:00', '2038-01-19 03:14:07+00'],
          [3, '1000-01-01', '12:30:00.5', '2000-01-01 00:00:00.5', '1999-12-31 23:59:59.5+00'],
          [4, '9999-12-31', '01:02:03', '9999-12-31 23:59:59', null],
        ],
      },
    ],
  },
  {
    name: 'json',
    about: 'JSON text kept byte for byte: whitespace, key order, JSON null',
    tables: [oneColumn('documents', 'json', ['{"b":1,"a":[1,2.50,{"x":null}]}', '  [ 1 , 2 ]  ', '"text"', '123', 'null', '{"ü":"😀","a\\"b":"\\n"}', null])],
  },
  {
    name: 'empty-table',
    about: 'a table with no rows at all',
    tables: [{ table: fixtureTable('empty', [['id', 'integer'], ['name', 'text']], { primaryKey: ['id'] }), rows: [] }],
  },
  {
    name: 'many-rows',
    about: 'enough rows to cross every batch and chunk boundary',
    tables: [
      {
        table: fixtureTable('many', [['id', 'integer'], ['label', 'text'], ['amount', 'float']], { primaryKey: ['id'] }),
        rows: Array.from({ length: 25_000 }, (_, i) => [i + 1, i % 97 === 0 ? null : `row ${i + 1} ${'x'.repeat(i % 50)}`, i / 7]),
      },
    ],
  },
  {
    name: 'composite-keys',
    about: 'a two-column primary key and a foreign key onto it',
    tables: [
      {
        table: fixtureTable('pairs', [['region', 'text'], ['code', 'integer'], ['label', 'text']], { primaryKey: ['region', 'code'] }),
        rows: [
          ['eu', 1, 'one'],
          ['eu', 2, 'two'],
          ['us', 1, 'uno'],
        ],
      },
      {
        table: fixtureTable(
          'pair_refs',
          [['id', 'integer'], ['region', 'text'], ['code', 'integer']],
          { primaryKey: ['id'], foreignKeys: [[['region', 'code'], 'pairs', ['region', 'code']]] },
        ),
        rows: [
          [1, 'eu', 2],
          [2, 'us', 1],
          [3, null, null],
        ],
      },
    ],
  },
  {
    name: 'foreign-key-cycle',
    about: 'two tables pointing at each other, and a table pointing at itself (a child before its parent)',
    tables: [
      {
        table: fixtureTable('authors', [['id', 'integer'], ['best_book_id', 'integer']], {
          primaryKey: ['id'],
          foreignKeys: [[['best_book_id'], 'books', ['id']]],
        }),
        rows: [
          [1, 10],
          [2, null],
        ],
      },
      {
        table: fixtureTable('books', [['id', 'integer'], ['author_id', 'integer']], { primaryKey: ['id'], foreignKeys: [[['author_id'], 'authors', ['id']]] }),
        rows: [
          [10, 1],
          [11, 2],
        ],
      },
      {
        table: fixtureTable('staff', [['id', 'integer'], ['manager_id', 'integer']], { primaryKey: ['id'], foreignKeys: [[['manager_id'], 'staff', ['id']]] }),
        rows: [
          [1, 3],
          [2, 1],
          [3, null],
        ],
      },
    ],
  },
  {
    name: 'keys-and-indexes',
    about: 'unique constraints, plain and unique indexes, a generated key with its counter',
    tables: [
      {
        table: fixtureTable(
          'accounts',
          [
            ['id', 'integer', { generated: true }],
            ['email', 'text'],
            ['name', 'text'],
            ['x', 'integer'],
            ['y', 'integer'],
          ],
          {
            primaryKey: ['id'],
            uniques: [['email']],
            indexes: [
              ['accounts_name_idx', ['name']],
              ['accounts_x_y_key_idx', ['x', 'y'], true],
              ['accounts_y_x_idx', ['y', 'x']],
            ],
            sequence: { column: 'id', lastValue: 7n },
          },
        ),
        rows: [
          [1, 'a@example.com', 'Ann', 1, 1],
          [2, 'b@example.com', 'Bob', 1, 2],
          [7, 'c@example.com', 'Ann', 2, 1],
        ],
      },
    ],
  },
  {
    name: 'hostile-names',
    about: 'table, column and index names with quotes, spaces, dots, semicolons, symbols and reserved words',
    tables: [
      {
        table: fixtureTable(
          'select',
          [
            ['order', 'integer'],
            ['we"ird \'col`', 'text'],
            ['a.b; c', 'integer'],
          ],
          { primaryKey: ['order'], indexes: [['idx "quoted"; --', ['a.b; c']]] },
        ),
        rows: [
          [1, 'x', 2],
          [2, null, 3],
        ],
      },
      {
        table: fixtureTable(
          'group by; drop "t" ☃',
          [
            ['table', 'integer'],
            ['from', 'integer'],
            ['snow ☃ man', 'text'],
          ],
          { primaryKey: ['table'], foreignKeys: [[['from'], 'select', ['order']]] },
        ),
        rows: [
          [1, 1, 'cold'],
          [2, 2, '❄'],
        ],
      },
    ],
  },
  {
    name: 'names-astral',
    about: 'names with characters outside the Basic Multilingual Plane: kept, or refused',
    mayRefuse: true,
    tables: [{ table: fixtureTable('emoji 😀', [['id', 'integer'], ['🎉', 'text']], { primaryKey: ['id'] }), rows: [[1, 'party']] }],
  },
  {
    name: 'names-edge-spaces',
    about: 'names that start or end with a space: kept, or refused',
    mayRefuse: true,
    tables: [{ table: fixtureTable('trailing ', [[' leading', 'integer'], ['both ', 'text']], { primaryKey: [' leading'] }), rows: [[1, 'x']] }],
  },
];

/** A fixture by name (for tests that run one check by hand). */
export function fixtureNamed(name: string): Fixture {
  const fixture = FIXTURES.find((f) => f.name === name);
  if (!fixture) throw new Error(`No conformance fixture is named "${name}". Known: ${FIXTURES.map((f) => f.name).join(', ')}.`);
  return fixture;
}
