import { DEFAULT_POLICIES, NEUTRAL_TYPES, type DataPolicies } from '@hesap/core';
import * as fc from 'fast-check';
import { decideColumnType, decideDjangoDateTime } from './sqlite-column-type';
import type { ColumnStats } from './sqlite-column-profile';
import { parseDeclaredType } from './sqlite-declared-type';

function stats(s: Partial<ColumnStats> = {}): ColumnStats {
  return { integers: 0, reals: 0, texts: 0, blobs: 0, integralReals: 0, nonAscii: 0, fitting: 0, dates: 0, millis: 0, ...s };
}

const STRICT: DataPolicies = DEFAULT_POLICIES;
const AS_TEXT: DataPolicies = { ...DEFAULT_POLICIES, typeMismatch: 'text' };
const REPLACE: DataPolicies = { ...DEFAULT_POLICIES, invalidText: 'replace' };

const decide = (declared: string, s: Partial<ColumnStats>, policies: DataPolicies = STRICT) =>
  decideColumnType(parseDeclaredType(declared), stats(s), policies);

describe('decideColumnType', () => {
  describe('an empty column', () => {
    it.each([
      ['INTEGER', 'integer'],
      ['REAL', 'float'],
      ['BOOLEAN', 'boolean'],
      ['DATETIME', 'timestamp'],
      ['DATE', 'date'],
      ['TIME', 'time'],
      ['JSON', 'json'],
      ['UUID', 'uuid'],
      ['BLOB', 'bytes'],
      ['TEXT', 'text'],
      ['', 'text'],
      ['intege', 'integer'],
      ['doubtful', 'float'],
      ['foo', 'text'],
    ])('declared %p becomes %p from the declaration alone', (declared, type) => {
      expect(decide(declared, {})).toEqual({ type });
    });

    it('keeps the precision and scale of a bounded decimal', () => {
      expect(decide('NUMERIC(10,2)', {})).toEqual({ type: 'decimal', precision: 10, scale: 2 });
      expect(decide('NUMERIC', {})).toEqual({ type: 'decimal', precision: undefined, scale: undefined });
    });
  });

  describe('BLOB values', () => {
    it('gives bytes when every value is a BLOB, whatever the declaration', () => {
      expect(decide('INTEGER', { blobs: 3 })).toEqual({ type: 'bytes' });
      expect(decide('TEXT', { blobs: 1 })).toEqual({ type: 'bytes' });
    });

    it('refuses BLOBs among text in a TEXT column with INVALID_TEXT', () => {
      const decision = decide('TEXT', { blobs: 1, texts: 5 });
      expect(decision.type).toBe('text');
      expect(decision.problem).toEqual({
        code: 'INVALID_TEXT',
        where: "typeof(q) = 'blob'",
        message: 'holds a value that is not valid text (a BLOB in a TEXT column)',
      });
      expect(decision.repairText).toBeUndefined();
    });

    it("repairs BLOBs in a TEXT column as text under invalidText 'replace'", () => {
      const decision = decide('VARCHAR(10)', { blobs: 1, texts: 5 }, REPLACE);
      expect(decision).toMatchObject({ type: 'text', repairText: true });
      expect(decision.problem).toBeUndefined();
      expect(decision.note).toContain('declared VARCHAR(10): BLOB values are read as UTF-8 text');
    });

    it('refuses BLOBs mixed with numbers with TYPE_MISMATCH naming the classes', () => {
      const decision = decide('INTEGER', { blobs: 1, integers: 2, reals: 1 }, AS_TEXT);
      expect(decision.type).toBe('bytes');
      expect(decision.problem).toEqual({
        code: 'TYPE_MISMATCH',
        where: "typeof(q) <> 'blob'",
        message: 'mixes BLOB with other values (INTEGER, REAL, BLOB); no single PostgreSQL type keeps them all',
      });
    });
  });

  describe('text and numbers together', () => {
    it('refuses text in a numeric column with TYPE_MISMATCH on the text rows', () => {
      const decision = decide('INTEGER', { integers: 9, texts: 1 });
      expect(decision.type).toBe('text');
      expect(decision.problem).toEqual({
        code: 'TYPE_MISMATCH',
        where: "typeof(q) = 'text'",
        message: 'holds text although it is declared INTEGER',
      });
    });

    it('refuses numbers among text in a column without a type, finding the number rows', () => {
      const decision = decide('', { integers: 1, reals: 1, texts: 3 });
      expect(decision.problem).toEqual({
        code: 'TYPE_MISMATCH',
        where: "typeof(q) IN ('integer', 'real')",
        message: 'mixes INTEGER, REAL, TEXT values in a column without a declared type',
      });
    });

    it("loads them as text under typeMismatch 'text', with a note", () => {
      const numeric = decide('REAL', { reals: 2, texts: 1 }, AS_TEXT);
      expect(numeric).toEqual({ type: 'text', note: 'declared REAL holds REAL, TEXT values; loaded as text by --on-type-mismatch text.' });
      const untyped = decide('', { integers: 2, texts: 1 }, AS_TEXT);
      expect(untyped.type).toBe('text');
      expect(untyped.problem).toBeUndefined();
      expect(untyped.note).toBe('declared (no type) holds INTEGER, TEXT values; loaded as text by --on-type-mismatch text (numbers come back as text).');
    });

    it('stores them as text without a problem when the affinity gives numbers back (non-numeric intent)', () => {
      const decision = decide('DATETIME', { integers: 2, texts: 5 });
      expect(decision.type).toBe('text');
      expect(decision.problem).toBeUndefined();
      expect(decision.note).toBe('declared DATETIME holds INTEGER, TEXT values; stored as text, and they come back as they were.');
    });

    it("marks text for repair when it holds non-ASCII and invalidText is 'replace'", () => {
      expect(decide('DATETIME', { integers: 1, texts: 1, nonAscii: 1 }, REPLACE).repairText).toBe(true);
      expect(decide('DATETIME', { integers: 1, texts: 1, nonAscii: 1 }, STRICT).repairText).toBeUndefined();
    });
  });

  describe('only text', () => {
    it('refuses text in a numeric column, or loads it as text by policy', () => {
      expect(decide('NUMERIC(10,2)', { texts: 2 }).problem).toEqual({
        code: 'TYPE_MISMATCH',
        where: "typeof(q) = 'text'",
        message: 'holds text although it is declared NUMERIC(10,2)',
      });
      expect(decide('BIGINT', { texts: 2, nonAscii: 1 }, { ...AS_TEXT, invalidText: 'replace' })).toEqual({
        type: 'text',
        repairText: true,
        note: 'declared BIGINT holds only text; loaded as text by --on-type-mismatch text.',
      });
    });

    it('gives timestamp when every value has the exact form, date when every value is a plain date', () => {
      expect(decide('DATETIME', { texts: 4, fitting: 4 })).toEqual({ type: 'timestamp' });
      expect(decide('DATETIME', { texts: 4, fitting: 0, dates: 4 })).toEqual({ type: 'date' });
      expect(decide('TIMESTAMP', { texts: 4, fitting: 3, dates: 1 })).toEqual({
        type: 'text',
        note: 'declared TIMESTAMP: not every value is in one form PostgreSQL reproduces; stored as text.',
      });
    });

    it.each(['date', 'time', 'json', 'uuid'])('gives %p when every value fits, text with a note otherwise', (intent) => {
      const declared = intent.toUpperCase();
      expect(decide(declared, { texts: 3, fitting: 3 })).toEqual({ type: intent });
      expect(decide(declared, { texts: 3, fitting: 2 })).toEqual({
        type: 'text',
        note: `declared ${declared}: not every value is valid ${intent}; stored as text.`,
      });
    });

    it('keeps text in a BOOLEAN column as text, with a note', () => {
      expect(decide('BOOLEAN', { texts: 2 })).toEqual({ type: 'text', note: 'declared BOOLEAN holds text; stored as text.' });
    });

    it('gives plain text for text and unknown declarations', () => {
      expect(decide('TEXT', { texts: 10 })).toEqual({ type: 'text' });
      expect(decide('', { texts: 10 })).toEqual({ type: 'text' });
      expect(decide('TEXT', { texts: 10, nonAscii: 3 }, REPLACE)).toEqual({ type: 'text', repairText: true });
    });
  });

  describe('only integers', () => {
    it('gives boolean when every value is 0 or 1 in a BOOLEAN column', () => {
      expect(decide('BOOLEAN', { integers: 5, fitting: 5 })).toEqual({ type: 'boolean' });
    });

    it('keeps other integers in a BOOLEAN column as integers, with a note', () => {
      expect(decide('BOOLEAN', { integers: 5, fitting: 4 })).toEqual({
        type: 'integer',
        note: 'declared BOOLEAN holds integers other than 0 and 1; kept as integers.',
      });
    });

    it('gives a bounded decimal when every value fits it', () => {
      expect(decide('DECIMAL(5,2)', { integers: 3, fitting: 3 })).toEqual({ type: 'decimal', precision: 5, scale: 2 });
      expect(decide('DECIMAL(5,2)', { integers: 3, fitting: 2 })).toEqual({ type: 'integer' });
    });

    it('keeps epoch integers in date and time columns as integers, with a note', () => {
      for (const declared of ['DATETIME', 'DATE', 'TIME']) {
        expect(decide(declared, { integers: 2 })).toEqual({
          type: 'integer',
          note: `declared ${declared} holds integers; kept as integers. If they are epoch milliseconds or seconds (Knex, Prisma, Drizzle), \`epochDates\` turns them into dates.`,
        });
      }
    });

    it('gives integer for any other declaration', () => {
      expect(decide('INTEGER', { integers: 2 })).toEqual({ type: 'integer' });
      expect(decide('', { integers: 2 })).toEqual({ type: 'integer' });
      expect(decide('TEXT', { integers: 2 })).toEqual({ type: 'integer' });
    });
  });

  describe('REAL values', () => {
    it('gives float for reals alone', () => {
      expect(decide('REAL', { reals: 3 })).toEqual({ type: 'float' });
      expect(decide('', { reals: 3 })).toEqual({ type: 'float' });
    });

    it('gives a bounded decimal when every number fits it', () => {
      expect(decide('NUMERIC(10,2)', { reals: 3, integers: 1, fitting: 4 })).toEqual({ type: 'decimal', precision: 10, scale: 2 });
    });

    it('falls back to float, with a note, when reals do not fit a bounded decimal', () => {
      expect(decide('NUMERIC(10,2)', { reals: 3, fitting: 1 })).toEqual({
        type: 'float',
        note: 'declared NUMERIC(10,2): some values do not fit exactly; stored as double precision.',
      });
    });

    it('gives an unbounded decimal for reals in an unbounded NUMERIC column', () => {
      expect(decide('NUMERIC', { reals: 3 })).toEqual({ type: 'decimal' });
    });

    it('gives an exact decimal for integers and reals together, with a note unless declared decimal', () => {
      expect(decide('REAL', { reals: 2, integers: 2 })).toEqual({
        type: 'decimal',
        note: 'declared REAL holds both INTEGER and REAL values; stored as numeric, exactly.',
      });
      expect(decide('DECIMAL', { reals: 2, integers: 2 })).toEqual({ type: 'decimal', note: undefined });
      expect(decide('', { reals: 2, integers: 2, integralReals: 0 })).toMatchObject({ type: 'decimal' });
    });

    it('refuses whole-number reals mixed with integers in a column without a type', () => {
      const decision = decide('', { reals: 2, integers: 2, integralReals: 1 });
      expect(decision.type).toBe('decimal');
      expect(decision.problem).toEqual({
        code: 'TYPE_MISMATCH',
        where: "typeof(q) = 'real' AND (q = CAST(q AS INTEGER) OR abs(q + 0.0) >= 4503599627370496)",
        message: 'mixes INTEGER and whole-number REAL values in a column without a declared type',
      });
      expect(decide('', { reals: 2, integers: 2, integralReals: 1 }, AS_TEXT)).toEqual({
        type: 'text',
        note: 'declared (no type) mixes INTEGER and REAL values; loaded as text by --on-type-mismatch text.',
      });
    });

    it('accepts whole-number reals with integers where the affinity keeps numbers apart', () => {
      expect(decide('NUMERIC', { reals: 2, integers: 2, integralReals: 2 }).problem).toBeUndefined();
    });
  });

  it('always answers a neutral type, and a problem only under the strict policies', () => {
    const declared = fc.constantFrom('', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC', 'NUMERIC(10,2)', 'BOOLEAN', 'DATETIME', 'DATE', 'JSON', 'UUID', 'intege', 'foo');
    const counts = fc.record({
      integers: fc.nat(5),
      reals: fc.nat(5),
      texts: fc.nat(5),
      blobs: fc.nat(5),
      integralReals: fc.nat(5),
      nonAscii: fc.nat(5),
      fitting: fc.nat(5),
      dates: fc.nat(5),
    });
    const policies = fc.record({
      typeMismatch: fc.constantFrom('error' as const, 'text' as const),
      invalidText: fc.constantFrom('error' as const, 'replace' as const),
      longNames: fc.constantFrom('error' as const, 'shorten' as const),
    });
    fc.assert(
      fc.property(declared, counts, policies, (d, s, p) => {
        const decision = decideColumnType(parseDeclaredType(d), s, p);
        expect(NEUTRAL_TYPES).toContain(decision.type);
        if (decision.problem?.code === 'INVALID_TEXT') expect(p.invalidText).toBe('error');
        if (decision.problem?.code === 'TYPE_MISMATCH' && s.blobs === 0) expect(p.typeMismatch).toBe('error');
        if (s.blobs > 0 && s.blobs === s.integers + s.reals + s.texts + s.blobs) expect(decision).toEqual({ type: 'bytes' });
        if (decision.repairText) expect(p.invalidText).toBe('replace');
      }),
      { numRuns: 300 },
    );
  });
});

describe('timestamps written with milliseconds', () => {
  it('become timestamp(3) when every value has exactly three fraction digits', () => {
    expect(decide('datetime', { texts: 4, fitting: 1, millis: 4 })).toEqual({ type: 'timestamp', precision: 3, fractionDigits: 3 });
  });
  it('stay text when only some have them', () => {
    expect(decide('datetime', { texts: 4, fitting: 2, millis: 2 }).type).toBe('text');
  });
});

describe('date-time text in an ORM form', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const { formQuery, readFormStats } = require('./sqlite-column-profile') as typeof import('./sqlite-column-profile');

  /** The decision for a column holding `values`, through the form scan of a real SQLite table. */
  function decideValues(declared: string, values: string[], more: Partial<ColumnStats> = {}, decider = decideColumnType) {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE t (c ${declared})`);
    for (const v of values) db.prepare('INSERT INTO t (c) VALUES (?)').run(v);
    const kind = parseDeclaredType(declared).intent === 'time' ? 'time' : 'timestamp';
    const form = readFormStats(db.prepare(formQuery('t', 'c', kind)).raw(true).get() as unknown[]);
    db.close();
    return decider(parseDeclaredType(declared), stats({ texts: values.length, form, ...more }), STRICT);
  }

  it.each<[string, string[], object]>([
    ['SQLAlchemy and Rails: six digits', ['2024-01-02 03:04:05.678900', '2024-01-02 03:04:05.000000'], { type: 'timestamp', precision: 6, fractionDigits: 6 }],
    [
      "Python's isoformat(): T, no fraction when zero",
      ['2024-01-02T03:04:05.678900', '2024-01-02T03:04:05'],
      { type: 'timestamp', textForm: { kind: 'timestamp', separator: 'T', fraction: 'python', zone: '' } },
    ],
    [
      'Sequelize: three digits, a space and the offset',
      ['2024-01-02 03:04:05.678 +00:00', '2024-01-02 03:04:05.000 +00:00'],
      { type: 'timestamptz', precision: 3, textForm: { kind: 'timestamp', separator: ' ', fraction: 3, zone: ' +00:00' } },
    ],
    [
      'toISOString()',
      ['2024-01-02T03:04:05.678Z'],
      { type: 'timestamptz', precision: 3, textForm: { kind: 'timestamp', separator: 'T', fraction: 3, zone: 'Z' } },
    ],
    [
      'the shortest fraction with T',
      ['2024-01-02T03:04:05.5', '2024-01-02T03:04:05.25', '2024-01-02T03:04:05'],
      { type: 'timestamp', textForm: { kind: 'timestamp', separator: 'T', fraction: 'shortest', zone: '' } },
    ],
  ])('%s', (_what, values, expected) => {
    expect(decideValues('DATETIME', values)).toEqual(expected);
  });

  it('finds the form of times of day', () => {
    expect(decideValues('TIME', ['03:04:05.678900', '23:59:59.000000'])).toEqual({
      type: 'time',
      precision: 6,
      textForm: { kind: 'time', separator: ' ', fraction: 6, zone: '' },
    });
  });

  it.each<[string, string[], RegExp]>([
    ['different offsets', ['2024-01-02T03:04:05+01:00', '2024-01-02T03:04:05+02:00'], /different time zones/],
    ['an offset on some values', ['2024-01-02T03:04:05+01:00', '2024-01-02T03:04:05'], /some values have a time zone/],
    ['both separators', ['2024-01-02T03:04:05', '2024-01-02 03:04:05.5'], /'T' between/],
    ['fractions of no one form', ['2024-01-02 03:04:05.50', '2024-01-02 03:04:05.5'], /fraction digits/],
    ['a zero fraction written out beside omitted ones', ['2024-01-02 03:04:05.000000', '2024-01-02 03:04:05'], /fraction digits/],
    ['seven digits (PostgreSQL rounds them)', ['2024-01-02 03:04:05.1234567'], /reads as written/],
    ['a day that does not exist', ['2023-02-29T00:00:00'], /reads as written/],
    ['an offset past 15:59', ['2024-01-02T03:04:05+16:00'], /reads as written/],
    ['hour 24', ['2024-01-02T24:00:00'], /reads as written/],
  ])('keeps text with %s', (_what, values, why) => {
    const decision = decideValues('DATETIME', values);
    expect(decision.type).toBe('text');
    expect(decision.note).toMatch(why);
  });

  describe("Django's datetime (decideDjangoDateTime)", () => {
    const python = { kind: 'timestamp', separator: ' ', fraction: 'python', zone: '' };
    it.each<[string, string[], Partial<ColumnStats>, object]>([
      ['six digits or none', ['2024-01-02 03:04:05.678900', '2024-01-02 03:04:05'], {}, { type: 'timestamptz', textForm: python }],
      // In PostgreSQL's form too, and in a fixed count of digits: the writer's form is the one recorded.
      ['no fraction at all', ['2024-01-02 03:04:05', '2024-07-01 08:00:00'], { fitting: 2 }, { type: 'timestamptz', textForm: python }],
      ['six digits every time', ['2024-01-02 03:04:05.678900', '2024-07-01 08:00:00.000001'], {}, { type: 'timestamptz', textForm: python }],
      ['written by someone else', ['2024-01-02T03:04:05.678', '2024-07-01T08:00:00.000'], {}, { type: 'timestamptz', precision: 3, textForm: { ...python, separator: 'T', fraction: 3 } }],
    ])('%s: timestamptz, the form recorded', (_what, values, more, expected) => {
      expect(decideValues('datetime', values, more, decideDjangoDateTime)).toEqual(expected);
    });

    it('takes Django\'s form for a column without values', () => {
      expect(decideDjangoDateTime(parseDeclaredType('datetime'), stats(), STRICT)).toEqual({ type: 'timestamptz', textForm: python });
    });

    it('leaves text, dates and zones as any column', () => {
      expect(decideValues('datetime', ['2024-01-02T03:04:05', '2024-01-02 03:04:05'], {}, decideDjangoDateTime).type).toBe('text');
      expect(decideDjangoDateTime(parseDeclaredType('datetime'), stats({ texts: 2, dates: 2 }), STRICT)).toEqual({ type: 'date' });
      expect(decideValues('datetime', ['2024-01-02 03:04:05+02:00'], {}, decideDjangoDateTime)).toMatchObject({ type: 'timestamptz', textForm: { zone: '+02:00' } });
    });
  });
});
