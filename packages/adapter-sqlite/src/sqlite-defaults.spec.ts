import type { ColumnDefault } from '@hesap/core';
import * as fc from 'fast-check';
import { formatSqliteDefault, parseSqliteDefault } from './sqlite-defaults';

describe('parseSqliteDefault', () => {
  it('gives undefined for no default', () => {
    expect(parseSqliteDefault(null)).toBeUndefined();
  });

  it('reads NULL in any case', () => {
    expect(parseSqliteDefault('NULL')).toEqual({ kind: 'null' });
    expect(parseSqliteDefault('null')).toEqual({ kind: 'null' });
    expect(parseSqliteDefault('(NULL)')).toEqual({ kind: 'null' });
  });

  it('reads integers as numbers when safe and as BigInt beyond', () => {
    expect(parseSqliteDefault('42')).toEqual({ kind: 'literal', value: 42 });
    expect(parseSqliteDefault('-7')).toEqual({ kind: 'literal', value: -7 });
    expect(parseSqliteDefault('+3')).toEqual({ kind: 'literal', value: 3 });
    expect(parseSqliteDefault('((5))')).toEqual({ kind: 'literal', value: 5 });
    expect(parseSqliteDefault('9007199254740991')).toEqual({ kind: 'literal', value: 9007199254740991 });
    expect(parseSqliteDefault('9007199254740992')).toEqual({ kind: 'literal', value: 9007199254740992n });
    expect(parseSqliteDefault('-9223372036854775808')).toEqual({ kind: 'literal', value: -9223372036854775808n });
  });

  it('reads decimal and exponent literals as numbers', () => {
    expect(parseSqliteDefault('1.5')).toEqual({ kind: 'literal', value: 1.5 });
    expect(parseSqliteDefault('.5')).toEqual({ kind: 'literal', value: 0.5 });
    expect(parseSqliteDefault('3.')).toEqual({ kind: 'literal', value: 3 });
    expect(parseSqliteDefault('-2.5e-3')).toEqual({ kind: 'literal', value: -0.0025 });
    expect(parseSqliteDefault('1E3')).toEqual({ kind: 'literal', value: 1000 });
    expect(parseSqliteDefault('9e999')).toEqual({ kind: 'literal', value: Infinity });
  });

  it('reads single-quoted strings, undoubling quotes, newlines included', () => {
    expect(parseSqliteDefault("'abc'")).toEqual({ kind: 'literal', value: 'abc' });
    expect(parseSqliteDefault("''")).toEqual({ kind: 'literal', value: '' });
    expect(parseSqliteDefault("'it''s'")).toEqual({ kind: 'literal', value: "it's" });
    expect(parseSqliteDefault("'line1\nline2'")).toEqual({ kind: 'literal', value: 'line1\nline2' });
    expect(parseSqliteDefault("('  padded  ')")).toEqual({ kind: 'literal', value: '  padded  ' });
    expect(parseSqliteDefault("'NULL'")).toEqual({ kind: 'literal', value: 'NULL' });
    expect(parseSqliteDefault("'42'")).toEqual({ kind: 'literal', value: '42' });
  });

  it('reads a double-quoted default as a string', () => {
    expect(parseSqliteDefault('"draft"')).toEqual({ kind: 'literal', value: 'draft' });
    expect(parseSqliteDefault('"say ""hi"""')).toEqual({ kind: 'literal', value: 'say "hi"' });
  });

  it('reads TRUE and FALSE as 1 and 0', () => {
    expect(parseSqliteDefault('TRUE')).toEqual({ kind: 'literal', value: 1 });
    expect(parseSqliteDefault('false')).toEqual({ kind: 'literal', value: 0 });
  });

  it.each([
    ['CURRENT_TIMESTAMP', { kind: 'now', precision: 0 }],
    ['current_timestamp', { kind: 'now', precision: 0 }],
    ["(datetime('now'))", { kind: 'now', precision: 0 }],
    ["DATETIME('NOW')", { kind: 'now', precision: 0 }],
    ["(strftime('%Y-%m-%d %H:%M:%S', 'now'))", { kind: 'now', precision: 0 }],
    ["(strftime('%Y-%m-%d %H:%M:%f', 'now'))", { kind: 'now', precision: 3 }],
    ["(datetime('now', 'localtime'))", { kind: 'now', precision: 0, local: true }],
    ['CURRENT_DATE', { kind: 'today' }],
    ["(date('now'))", { kind: 'today' }],
    ["(date('now','localtime'))", { kind: 'today', local: true }],
  ] as Array<[string, ColumnDefault]>)('reads %p as the current time %p', (text, expected) => {
    expect(parseSqliteDefault(text)).toEqual(expected);
  });

  // BUG (sqlite-defaults.ts, parseSqliteDefault): the text is lower-cased and stripped of all
  // whitespace before it is compared, also inside the strftime format string, where case and
  // spaces matter (%M is minutes, %m the month; %s epoch seconds, %S seconds). These defaults
  // write other text than a timestamp but are read as { kind: 'now', precision: 0 } and would be
  // recreated elsewhere as CURRENT_TIMESTAMP.
  it('keeps strftime formats that differ only in case or spacing as expressions', () => {
    for (const text of ["(strftime('%Y-%M-%d %H:%m:%S', 'now'))", "(strftime('%Y-%m-%d %H:%M:%s', 'now'))", "(strftime('%Y-%m-%d%H:%M:%S', 'now'))"]) {
      expect(parseSqliteDefault(text)).toEqual({ kind: 'expression', dialect: 'sqlite', sql: text });
    }
  });

  it('keeps anything else as a SQLite expression, verbatim', () => {
    for (const text of ["(lower(hex(randomblob(16))))", "'a' || 'b'", '(1) + (2)', 'CURRENT_TIME', "(strftime('%s','now'))", '0x10', "(datetime('now', '+1 day'))"]) {
      expect(parseSqliteDefault(text)).toEqual({ kind: 'expression', dialect: 'sqlite', sql: text });
    }
  });
});

describe('formatSqliteDefault', () => {
  it('writes NULL, numbers, bigints and booleans', () => {
    expect(formatSqliteDefault({ kind: 'null' })).toBe('NULL');
    expect(formatSqliteDefault({ kind: 'literal', value: 42 })).toBe('42');
    expect(formatSqliteDefault({ kind: 'literal', value: -1.5 })).toBe('-1.5');
    expect(formatSqliteDefault({ kind: 'literal', value: 9223372036854775807n })).toBe('9223372036854775807');
    expect(formatSqliteDefault({ kind: 'literal', value: true })).toBe('1');
    expect(formatSqliteDefault({ kind: 'literal', value: false })).toBe('0');
  });

  it('writes infinities the way SQLite spells them', () => {
    expect(formatSqliteDefault({ kind: 'literal', value: Infinity })).toBe('9e999');
    expect(formatSqliteDefault({ kind: 'literal', value: -Infinity })).toBe('-9e999');
  });

  // BUG (sqlite-defaults.ts, formatSqliteDefault): NaN is not finite, and `NaN > 0` is false, so a
  // NaN default is written as '-9e999', i.e. minus infinity: a different value. SQLite has no
  // NaN (it stores NULL), so "no equivalent" (undefined) is expected. Not reachable from the
  // PostgreSQL adapter today (its default parser never yields NaN), but the function accepts it.
  it('does not turn a NaN default into minus infinity', () => {
    expect(formatSqliteDefault({ kind: 'literal', value: NaN })).toBeUndefined();
  });

  it('quotes strings, doubling single quotes', () => {
    expect(formatSqliteDefault({ kind: 'literal', value: "it's" })).toBe("'it''s'");
    expect(formatSqliteDefault({ kind: 'literal', value: '' })).toBe("''");
  });

  it('writes the current time and date', () => {
    expect(formatSqliteDefault({ kind: 'now', precision: 0 })).toBe('CURRENT_TIMESTAMP');
    expect(formatSqliteDefault({ kind: 'now', precision: 3 })).toBe("(strftime('%Y-%m-%d %H:%M:%f', 'now'))");
    expect(formatSqliteDefault({ kind: 'now', precision: 6 })).toBe("(strftime('%Y-%m-%d %H:%M:%f', 'now'))");
    expect(formatSqliteDefault({ kind: 'now', precision: 0, local: true })).toBe("(datetime('now', 'localtime'))");
    expect(formatSqliteDefault({ kind: 'today' })).toBe('CURRENT_DATE');
    expect(formatSqliteDefault({ kind: 'today', local: true })).toBe("(date('now', 'localtime'))");
  });

  it('writes SQLite expressions verbatim and drops other dialects', () => {
    expect(formatSqliteDefault({ kind: 'expression', dialect: 'sqlite', sql: '(random())' })).toBe('(random())');
    expect(formatSqliteDefault({ kind: 'expression', dialect: 'postgres', sql: 'gen_random_uuid()' })).toBeUndefined();
  });
});

describe('parseSqliteDefault(formatSqliteDefault(x))', () => {
  const roundTrip = (value: ColumnDefault) => parseSqliteDefault(formatSqliteDefault(value)!);

  it('gives back any string literal', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (s) => {
        expect(roundTrip({ kind: 'literal', value: s })).toEqual({ kind: 'literal', value: s });
      }),
      { numRuns: 300, examples: [["'"], ["''"], ['('], [')'], ['(x)'], [' '], ['\n']] },
    );
  });

  it('gives back any 64-bit integer (number when safe, BigInt beyond)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        const safe = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
        expect(roundTrip({ kind: 'literal', value: n })).toEqual({ kind: 'literal', value: safe ? Number(n) : n });
      }),
      { numRuns: 300 },
    );
  });

  it('gives back any double except -0 (written as 0)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }).filter((x) => !Object.is(x, -0)), (x) => {
        const back = roundTrip({ kind: 'literal', value: x });
        expect(back).toMatchObject({ kind: 'literal' });
        expect(Number((back as { value: number | bigint }).value)).toBe(x);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    { kind: 'null' },
    { kind: 'now', precision: 0 },
    { kind: 'now', precision: 3 },
    { kind: 'now', precision: 0, local: true },
    { kind: 'today' },
    { kind: 'today', local: true },
  ] as ColumnDefault[])('gives back %p', (value) => {
    expect(roundTrip(value)).toEqual(value);
  });
});
