import Database from 'better-sqlite3';
import * as fc from 'fast-check';
import { affinityOf, isNumericIntent, parseDeclaredType, type SqliteAffinity } from './sqlite-declared-type';

describe('affinityOf', () => {
  // The examples table of https://sqlite.org/datatype3.html#affinity_name_examples
  it.each([
    ['INT', 'INTEGER'],
    ['INTEGER', 'INTEGER'],
    ['TINYINT', 'INTEGER'],
    ['SMALLINT', 'INTEGER'],
    ['MEDIUMINT', 'INTEGER'],
    ['BIGINT', 'INTEGER'],
    ['UNSIGNED BIG INT', 'INTEGER'],
    ['INT2', 'INTEGER'],
    ['INT8', 'INTEGER'],
    ['CHARACTER(20)', 'TEXT'],
    ['VARCHAR(255)', 'TEXT'],
    ['VARYING CHARACTER(255)', 'TEXT'],
    ['NCHAR(55)', 'TEXT'],
    ['NATIVE CHARACTER(70)', 'TEXT'],
    ['NVARCHAR(100)', 'TEXT'],
    ['TEXT', 'TEXT'],
    ['CLOB', 'TEXT'],
    ['BLOB', 'BLOB'],
    ['', 'BLOB'],
    ['REAL', 'REAL'],
    ['DOUBLE', 'REAL'],
    ['DOUBLE PRECISION', 'REAL'],
    ['FLOAT', 'REAL'],
    ['NUMERIC', 'NUMERIC'],
    ['DECIMAL(10,5)', 'NUMERIC'],
    ['BOOLEAN', 'NUMERIC'],
    ['DATE', 'NUMERIC'],
    ['DATETIME', 'NUMERIC'],
  ] as Array<[string, SqliteAffinity]>)('%p has %p affinity', (declared, affinity) => {
    expect(affinityOf(declared)).toBe(affinity);
  });

  it('applies the rules in SQLite order: INT before CHAR/TEXT before BLOB before REAL', () => {
    expect(affinityOf('FLOATING POINT')).toBe('INTEGER'); // "INT" in "POINT"
    expect(affinityOf('CHARINT')).toBe('INTEGER');
    expect(affinityOf('BLOBTEXT')).toBe('TEXT');
    expect(affinityOf('DOUBLE CHAR')).toBe('TEXT');
    expect(affinityOf('REAL BLOB')).toBe('BLOB');
    expect(affinityOf('STRING')).toBe('NUMERIC');
  });

  it('ignores case and quotes', () => {
    expect(affinityOf('integer')).toBe('INTEGER');
    expect(affinityOf('"double precision"')).toBe('REAL');
    expect(affinityOf('[varchar]')).toBe('TEXT');
    expect(affinityOf('intege')).toBe('INTEGER');
  });

  it('agrees with SQLite itself (CAST) for generated type names', () => {
    const db = new Database(':memory:');
    try {
      const fromSqlite = (declared: string): SqliteAffinity => {
        const row = db.prepare(`SELECT typeof(CAST('1.5' AS ${declared})) AS a, typeof(CAST(1 AS ${declared})) AS b`).get() as { a: string; b: string };
        const key = `${row.a}/${row.b}`;
        const map: Record<string, SqliteAffinity> = {
          'integer/integer': 'INTEGER',
          'real/real': 'REAL',
          'real/integer': 'NUMERIC',
          'text/text': 'TEXT',
          'blob/blob': 'BLOB',
        };
        if (!(key in map)) throw new Error(`unexpected CAST result ${key} for ${declared}`);
        return map[key]!;
      };
      const token = fc.constantFrom('INT', 'int', 'CHAR', 'Char', 'CLOB', 'TEXT', 'BLOB', 'blob', 'REAL', 'FLOA', 'DOUB', 'doub', 'NUM', 'FOO', 'X', 'BIG', 'STRING', 'IN', 'T', 'ER');
      // 'IN' alone is an SQL keyword; as part of a word it builds INT across tokens ('IN' + 'T').
      const word = fc
        .array(token, { minLength: 1, maxLength: 3 })
        .map((t) => t.join(''))
        .filter((w) => w.toUpperCase() !== 'IN');
      const declared = fc
        .tuple(fc.array(word, { minLength: 1, maxLength: 3 }), fc.constantFrom('', '(10)', '(10,2)'))
        .map(([words, args]) => words.join(' ') + args);
      fc.assert(
        fc.property(declared, (d) => {
          expect(affinityOf(d)).toBe(fromSqlite(d));
        }),
        { numRuns: 300 },
      );
    } finally {
      db.close();
    }
  });
});

describe('parseDeclaredType', () => {
  it('keeps the raw text and gives the affinity', () => {
    expect(parseDeclaredType('VarChar(20)')).toEqual({ raw: 'VarChar(20)', affinity: 'TEXT', intent: 'text' });
  });

  it('reads no declared type as intent none with BLOB affinity', () => {
    expect(parseDeclaredType('')).toEqual({ raw: '', affinity: 'BLOB', intent: 'none' });
  });

  it.each([
    ['INTEGER', 'integer'],
    ['int', 'integer'],
    ['BIGINT', 'integer'],
    ['smallint unsigned', 'integer'],
    ['UNSIGNED BIG INT', 'integer'],
    ['int(11)', 'integer'],
    ['INT8', 'integer'],
    ['bigserial', 'integer'],
    ['integer auto_increment', 'integer'],
    ['BOOLEAN', 'boolean'],
    ['bool', 'boolean'],
    ['TINYINT(1)', 'boolean'],
    ['tinyint( 1 )', 'boolean'],
    ['TINYINT(4)', 'integer'],
    ['TINYINT(1) UNSIGNED', 'integer'],
    ['REAL', 'float'],
    ['DOUBLE', 'float'],
    ['"double precision"', 'float'],
    ['DOUBLE PRECISION', 'float'],
    ['float8', 'float'],
    ['NUMERIC', 'decimal'],
    ['money', 'decimal'],
    ['DATETIME', 'timestamp'],
    ['timestamp with time zone', 'timestamp'],
    ['DATE', 'date'],
    ['TIME', 'time'],
    ['JSON', 'json'],
    ['jsonb', 'json'],
    ['UUID', 'uuid'],
    ['guid', 'uuid'],
    ['BLOB', 'blob'],
    ['bytea', 'blob'],
    ['TEXT', 'text'],
    ['CHARACTER VARYING(255)', 'text'],
    ['NATIVE CHARACTER(70)', 'text'],
    ['text collate nocase', 'text'],
    ['[nvarchar](10)', 'text'],
    ['`clob`', 'text'],
    ['intege', 'unknown'],
    ['foo', 'unknown'],
    ['STRING INT', 'unknown'],
    ['point', 'unknown'],
  ])('reads %p as intent %p', (declared, intent) => {
    expect(parseDeclaredType(declared).intent).toBe(intent);
  });

  it("reads 'intege' as an unknown intent that SQLite still gives INTEGER affinity", () => {
    expect(parseDeclaredType('intege')).toEqual({ raw: 'intege', affinity: 'INTEGER', intent: 'unknown' });
  });

  it("reads 'point' as unknown with INTEGER affinity (it contains INT)", () => {
    expect(parseDeclaredType('point').affinity).toBe('INTEGER');
  });

  it('reads precision and scale of a bounded decimal', () => {
    expect(parseDeclaredType('NUMERIC(10,2)')).toEqual({ raw: 'NUMERIC(10,2)', affinity: 'NUMERIC', intent: 'decimal', precision: 10, scale: 2 });
    expect(parseDeclaredType('decimal( 12 , 0 )')).toMatchObject({ intent: 'decimal', precision: 12, scale: 0 });
    expect(parseDeclaredType('DECIMAL(5)')).toMatchObject({ intent: 'decimal', precision: 5, scale: 0 });
    expect(parseDeclaredType('numeric(1000,1000)')).toMatchObject({ precision: 1000, scale: 1000 });
  });

  it('drops precision and scale PostgreSQL would not accept', () => {
    for (const declared of ['NUMERIC(0)', 'numeric(2,5)', 'numeric(1001,2)', 'NUMERIC']) {
      const parsed = parseDeclaredType(declared);
      expect(parsed.intent).toBe('decimal');
      expect(parsed.precision).toBeUndefined();
      expect(parsed.scale).toBeUndefined();
    }
  });

  it('gives no precision to non-decimal types with arguments', () => {
    expect(parseDeclaredType('VARCHAR(10)').precision).toBeUndefined();
    expect(parseDeclaredType('float(53)')).toEqual({ raw: 'float(53)', affinity: 'REAL', intent: 'float' });
  });

  it('always agrees with affinityOf on the affinity', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (declared) => {
        expect(parseDeclaredType(declared).affinity).toBe(affinityOf(declared));
        expect(parseDeclaredType(declared).raw).toBe(declared);
      }),
      { numRuns: 200 },
    );
  });
});

describe('isNumericIntent', () => {
  it('is true only for integer, float and decimal', () => {
    expect(['integer', 'float', 'decimal'].every((i) => isNumericIntent(i as never))).toBe(true);
    expect(['boolean', 'text', 'timestamp', 'none', 'unknown', 'blob'].some((i) => isNumericIntent(i as never))).toBe(false);
  });
});
