import { DEFAULT_POLICIES, type DataPolicies } from '@hesap/core';
import * as fc from 'fast-check';
import { readProfile } from './sqlite-column-profile';
import { decideColumnType } from './sqlite-column-type';
import { parseDeclaredType } from './sqlite-declared-type';

const STRICT: DataPolicies = DEFAULT_POLICIES;
const AS_TEXT: DataPolicies = { ...DEFAULT_POLICIES, typeMismatch: 'text' };
const REPLACE: DataPolicies = { ...DEFAULT_POLICIES, invalidText: 'replace' };

describe('readProfile', () => {
  it('splits the profile row into 9 numbers per column, NULL sums as 0', () => {
    const row = [1, 2, 3, 4, 5, 6, 7, 8, 9, null, 0n, 10, null, null, null, null, 2, 3];
    expect(readProfile(row, 2)).toEqual([
      { integers: 1, reals: 2, texts: 3, blobs: 4, integralReals: 5, nonAscii: 6, fitting: 7, dates: 8, millis: 9 },
      { integers: 0, reals: 0, texts: 10, blobs: 0, integralReals: 0, nonAscii: 0, fitting: 0, dates: 2, millis: 3 },
    ]);
  });
});

describe('the quick pass', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const { quickPlan, readQuick, profileQuery } = require('./sqlite-column-profile') as typeof import('./sqlite-column-profile');

  function both(declaredType: string, values: unknown[], checkText = true) {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE t (c ${declaredType})`);
    const insert = db.prepare('INSERT INTO t (c) VALUES (?)');
    for (const v of values) insert.run(v);
    const declared = parseDeclaredType(declaredType);
    const plan = quickPlan('c', declared, checkText);
    const quickRow = db.prepare(`SELECT ${plan.parts.join(', ')} FROM t`).raw(true).get() as unknown[];
    const quick = readQuick(plan, declared, quickRow, checkText);
    const full = readProfile(db.prepare(profileQuery('t', [{ name: 'c', declared }], checkText)).raw(true).get() as unknown[], 1)[0];
    db.close();
    return { quick, full };
  }

  it.each([
    ['INTEGER', [1n, 2n, null, -(2n ** 63n)]],
    ['REAL', [0.5, 1e300, null]],
    ['DECIMAL(10,2)', [0.99, 2n, 12345678.5, 0.995, 1e9, null]],
    ['DATETIME', ['2024-02-29 23:59:59', '2026-03-05 07:08:09.5', '2026-03-05 07:08:09.123456', null]],
    ['DATETIME', ['2026-03-05 07:08:09.000', '2026-03-05 07:08:09.120', '2024-02-29 00:00:00.999']],
    ['TEXT', ['a', 'Ünï', '', null]],
    ['BOOLEAN', [0n, 1n, 1n]],
    ['BLOB', [Buffer.from([0, 1])]],
    ['INT', [2147483647n, -2147483648n, 2147483648n, null]],
    ['SMALLINT', [32767n, -32769n]],
    ['VARCHAR(3)', ['abc', 'Ünï', 'abcd', '', null]],
    ['CHAR(2)', ['ab', 'a', 'abc', 'çğ']],
  ])('gives the same stats as the full breakdown for %s', (type, values) => {
    const { quick, full } = both(type, values as unknown[]);
    expect(quick).toEqual(full);
  });

  it.each([
    ['INTEGER', [[1n, null], [null], [], [-(2n ** 63n)]]],
    ['VARCHAR(20)', [['a', 'Ünï', ''], [null], [], ['a'.repeat(21)]]],
    ['BLOB', [[Buffer.from([0, 1]), null], [null]]],
    ['DECIMAL(10,2)', [[0.99, 2n, 12345678.5, 1.0], [null], [3.0]]],
    ['REAL', [[1.0, 0.5], [null]]],
  ])('decides %s as the full breakdown does when it skips what cannot change the decision (tables read by rowid)', (type, sets) => {
    for (const values of sets as unknown[][]) {
      const { quick, full } = both(type, values, false);
      expect(quick).toBeDefined();
      for (const policies of [STRICT, AS_TEXT, REPLACE]) {
        expect(decideColumnType(parseDeclaredType(type), quick!, policies)).toEqual(decideColumnType(parseDeclaredType(type), full!, policies));
      }
      // And the width: every value fits, or not.
      expect(quick!.fitting === quick!.integers + quick!.texts).toBe(full!.fitting === full!.integers + full!.texts);
    }
  });

  it('hands a column with a surprise to the full breakdown', () => {
    expect(both('INTEGER', [1n, 'text']).quick).toBeUndefined();
    expect(both('DECIMAL(10,2)', [1.5, 'x']).quick).toBeUndefined();
  });

  it('hands a timestamp column in no single form to the full breakdown, which counts its plain dates', () => {
    const mixed = both('DATETIME', ['2024-02-29 23:59:59', '2024-02-30 10:00:00', '2026-03-05 07:08:09.000', '2026-03-05 07:08:09.120', '1999-12-31', null]);
    expect(mixed.quick).toBeUndefined();
    expect(mixed.full).toMatchObject({ texts: 5, fitting: 1, millis: 2, dates: 1 });
    const dates = both('DATETIME', ['1999-12-31', '2024-02-29']);
    expect(dates.quick).toBeUndefined();
    expect(decideColumnType(parseDeclaredType('DATETIME'), dates.full!, STRICT).type).toBe('date');
  });
});

describe('the date and time checks', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const { timestampCheck, millisCheck, dateCheck } = require('./sqlite-column-profile') as typeof import('./sqlite-column-profile');
  const db = new Database(':memory:');
  const check = db.prepare(`SELECT ${timestampCheck('v')} AS ts, ${millisCheck('v')} AS ms, ${dateCheck('v')} AS d FROM (SELECT ? AS v)`);
  afterAll(() => db.close());

  const daysIn = (y: number, m: number) => new Date(Date.UTC(2000, m, 0)).getUTCDate() - (m === 2 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 1 : 0);
  /** What PostgreSQL reads back exactly, decided digit by digit in JavaScript. */
  function expected(text: string): { ts: number; ms: number; d: number } {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?$/.exec(text);
    if (!m) return { ts: 0, ms: 0, d: 0 };
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map((v) => (v === undefined ? 0 : Number(v)));
    const dateOk = y! > 0 && mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= daysIn(y!, mo!);
    if (m[4] === undefined) return { ts: 0, ms: 0, d: dateOk ? 1 : 0 };
    const ok = dateOk && h! <= 23 && mi! <= 59 && s! <= 59;
    const frac = m[7];
    const tsForm = frac === undefined || (frac.length <= 6 && !frac.endsWith('0'));
    return { ts: ok && tsForm ? 1 : 0, ms: ok && frac?.length === 3 ? 1 : 0, d: 0 };
  }

  it('agree with the calendar and the clock on values near every edge', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const value = fc
      .record({
        y: fc.oneof(fc.constantFrom('0000', '1900', '2000', '2024', '2100', '9999'), fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0'))),
        mo: two(13),
        d: two(32),
        time: fc.option(fc.tuple(two(25), two(61), two(61)), { nil: undefined }),
        frac: fc.option(fc.stringMatching(/^[0-9]{1,8}$/), { nil: undefined }),
      })
      .map(({ y, mo, d, time, frac }) => `${y}-${mo}-${d}` + (time ? ` ${time.join(':')}` + (frac !== undefined ? `.${frac}` : '') : ''));
    // And the same with one character changed to anything (a letter, a T, a space, a full-width digit).
    const changed = fc
      .tuple(value, fc.nat(), fc.constantFrom('T', ' ', 'a', '/', ':', '-', '.', '+', '０', 'é', '9', '0'))
      .map(([text, at, c]) => text.slice(0, at % text.length) + c + text.slice((at % text.length) + 1));
    fc.assert(
      fc.property(fc.oneof(value, changed), (text) => {
        expect({ text, ...(check.get(text) as object) }).toEqual({ text, ...expected(text) });
      }),
      { numRuns: 5000 },
    );
  });
});

describe('the decimal rounding check', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const { roundsTo } = require('./sqlite-column-profile') as typeof import('./sqlite-column-profile');
  const db = new Database(':memory:');
  afterAll(() => db.close());

  it.each([0, 1, 2, 4, 10, 22])('answers as SQLite round(v, %i) = v does, with the arithmetic shortcut', (scale) => {
    const check = db.prepare(`SELECT ${roundsTo('v', scale)} AS fast, round(v, ${scale}) = v AS slow FROM (SELECT ? AS v)`);
    // Values with `scale` decimals and their neighbours, and doubles of every magnitude.
    const decimal = fc
      .tuple(fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }), fc.integer({ min: -2, max: 2 }))
      .map(([units, nudge]) => {
        const v = Number(units) / 10 ** scale;
        return nudge === 0 ? v : v + nudge * Number.EPSILON * Math.abs(v);
      });
    const value = fc.oneof(decimal, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0.29, 0.995, 1e15 + 0.25, 2 ** 53, -0));
    fc.assert(
      fc.property(value, (v) => {
        const r = check.get(v) as { fast: number; slow: number };
        expect({ v, fast: r.fast }).toEqual({ v, fast: r.slow });
      }),
      { numRuns: 2000 },
    );
  });
});
