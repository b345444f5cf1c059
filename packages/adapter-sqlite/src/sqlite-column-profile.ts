import { quoteIdent } from '@hesap/core';
import { sizeFitSql, sizeMisfitSql } from './sqlite-column-size';
import type { DeclaredType } from './sqlite-declared-type';

/**
 * Measuring a column's data to decide its neutral type. SQLite stores any value in any
 * column, so the declared type is only a hint. One aggregate query per table counts
 * each column's storage classes and checks the forms PostgreSQL reproduces exactly;
 * `decideColumnType` (sqlite-column-type.ts) then picks the nicest type that keeps every value.
 */

export interface ColumnStats {
  integers: number;
  reals: number;
  texts: number;
  blobs: number;
  /** REAL values with no fractional part (they would read back as integers from text). */
  integralReals: number;
  /** TEXT values with non-ASCII bytes or NUL: they need a UTF-8 check. */
  nonAscii: number;
  /** Counts of values in the form the intent asks for (0/1, timestamps, JSON...), or of the declared width (integer, varchar(n)). */
  fitting: number;
  /** For `timestamp` intent: values that are plain dates. */
  dates: number;
  /** For `timestamp` intent: values with exactly three fraction digits (`...:09.000`, TypeORM's form). */
  millis: number;
  /** For `timestamp` and `time` intents, when the values are not all in PostgreSQL's form: how they are spelled. */
  form?: FormStats;
}

/**
 * How the text values of a date-time column are spelled (see {@link formQuery}), to find the
 * one form they share (datetime-text.ts).
 */
export interface FormStats {
  texts: number;
  /** Values PostgreSQL reads as exactly what they spell, in any form. */
  valid: number;
  /** Smallest and largest separator, zone and fraction digit count over the valid values. */
  separators: [string, string];
  zones: [string, string];
  digits: [number, number];
  /** Values whose fraction ends in 0 (`.500`). */
  trailingZero: number;
  /** Values whose fraction is all zeros (`.000000`). */
  zeroFraction: number;
  /** Values with 1 to 5 fraction digits. */
  someDigits: number;
}

const D = '[0-9]';
const H = '[0-9a-f]';
const rep = (s: string, n: number) => s.repeat(n);
const TIME_GLOB = `${rep(D, 2)}:${rep(D, 2)}:${rep(D, 2)}`;
const UUID_GLOB = `${rep(H, 8)}-${rep(H, 4)}-${rep(H, 4)}-${rep(H, 4)}-${rep(H, 12)}`;

/**
 * Text that needs a closer look in JavaScript: non-ASCII bytes (valid UTF-8 or not:
 * SQLite's GLOB sees any byte past 0x7F) or a NUL (length() stops at it).
 */
export function needsTextCheck(q: string): string {
  return `(length(CAST(${q} AS BLOB)) <> length(${q}) OR ${q} GLOB '*[^' || char(1) || '-' || char(127) || ']*')`;
}

/**
 * A REAL with no fractional part. Every double of magnitude 2^52 or more is whole, and
 * CAST to INTEGER saturates past 2^63, so those are tested by size (`+ 0.0` first: abs() of
 * the smallest integer overflows, and SQLite does not promise to skip it after AND).
 */
export function wholeReal(q: string): string {
  return `(${q} = CAST(${q} AS INTEGER) OR abs(${q} + 0.0) >= 4503599627370496)`;
}

/**
 * A valid date and time of day in the first 19 characters (`YYYY-MM-DD HH:MM:SS`), or a valid
 * date in the first 10: SQLite's own datetime() or date() prints its answer in exactly that
 * form, so getting the same text back means the digits are where they belong, the calendar
 * date exists (February 30 comes back as March 1) and minute and second are valid (23:59:60
 * gives NULL). Hours past 23 come back unchanged (SQLite 3.53 prints 24:30:00), and year 0000
 * does not exist in PostgreSQL: both are tested apart. One C call instead of a GLOB and six
 * substring comparisons (with the length tests, the quick check of the benchmark's timestamp
 * column over a million rows: 812 ms -> 445 ms).
 */
function validClock(q: string, withTime: boolean): string {
  const n = withTime ? 19 : 10;
  const hour = withTime ? ` AND substr(${q}, 12, 2) <= '23'` : '';
  return `${withTime ? 'datetime' : 'date'}(substr(${q}, 1, ${n})) IS substr(${q}, 1, ${n}) AND substr(${q}, 1, 4) <> '0000'${hour}`;
}

/** Characters 20 on are a decimal point and digits. */
function fraction(q: string): string {
  return `substr(${q}, 20, 1) = '.' AND substr(${q}, 21) NOT GLOB '*[^0-9]*'`;
}

/**
 * A text value in the exact form PostgreSQL prints a `timestamp` (ISO, up to 6 fraction digits,
 * no trailing zero). Each form has a fixed length, tested first.
 */
export function timestampCheck(q: string): string {
  return (
    `CASE WHEN length(${q}) = 19 THEN ${validClock(q, true)}` +
    ` WHEN length(${q}) BETWEEN 21 AND 26 AND ${fraction(q)} AND ${q} NOT GLOB '*0' THEN ${validClock(q, true)} ELSE 0 END`
  );
}

/** A timestamp with exactly three fraction digits, trailing zeros included (`2026-03-05 07:08:09.000`). */
export function millisCheck(q: string): string {
  return `CASE WHEN length(${q}) = 23 AND ${fraction(q)} THEN ${validClock(q, true)} ELSE 0 END`;
}

export function dateCheck(q: string): string {
  return `CASE WHEN length(${q}) = 10 THEN ${validClock(q, false)} ELSE 0 END`;
}

/** A time of day in PostgreSQL's form (up to 6 fraction digits, no trailing zero). */
function timeCheck(q: string): string {
  return (
    `CASE WHEN length(${q}) = 8 THEN ${q} GLOB '${TIME_GLOB}' AND time(${q}) = ${q}` +
    ` WHEN length(${q}) BETWEEN 10 AND 15 AND substr(${q}, 9, 1) = '.' AND substr(${q}, 10) NOT GLOB '*[^0-9]*' AND ${q} NOT GLOB '*0'` +
    ` THEN substr(${q}, 1, 8) GLOB '${TIME_GLOB}' AND time(substr(${q}, 1, 8)) = substr(${q}, 1, 8) ELSE 0 END`
  );
}

/**
 * One scan that tells how a date-time column's text is spelled: for each value whether
 * PostgreSQL reads it as what it spells (a date that exists, `T` or a space, hours 0-23, up to
 * six fraction digits, a zone of `Z` or `+HH[[:]MM]` up to 15:59, one space before it allowed),
 * and the range of its separators, zones and fraction lengths. Columns whose values are all in
 * PostgreSQL's own form never need it.
 */
export function formQuery(table: string, column: string, kind: 'timestamp' | 'time'): string {
  const q = quoteIdent(column);
  const head = kind === 'timestamp' ? 19 : 8;
  const clock =
    kind === 'timestamp'
      ? `substr(v, 11, 1) IN (' ', 'T') AND datetime(substr(v, 1, 10) || ' ' || substr(v, 12, 8)) IS substr(v, 1, 10) || ' ' || substr(v, 12, 8)` +
        ` AND substr(v, 1, 4) <> '0000' AND substr(v, 12, 2) <= '23'`
      : `substr(v, 1, 8) GLOB '${TIME_GLOB}' AND time(substr(v, 1, 8)) IS substr(v, 1, 8)`;
  const z = `CASE WHEN substr(zone, 1, 1) = ' ' THEN substr(zone, 2) ELSE zone END`;
  const zoneOk =
    kind === 'time'
      ? `zone = ''`
      : `(zone = '' OR ${z} = 'Z' OR ((${z} GLOB '[+-][0-9][0-9]' OR ${z} GLOB '[+-][0-9][0-9][0-9][0-9]' OR ${z} GLOB '[+-][0-9][0-9]:[0-9][0-9]')` +
        ` AND substr(${z}, 2, 2) <= '15' AND (length(${z}) = 3 OR substr(${z}, -2) <= '59')))`;
  const valid = `(${clock} AND (frac IS NULL OR k BETWEEN 1 AND 6) AND ${zoneOk})`;
  const rest = `SELECT ${q} AS v, substr(${q}, ${head + 1}) AS rest FROM ${quoteIdent(table)} WHERE typeof(${q}) = 'text'`;
  const split = `SELECT v, rest, CASE WHEN substr(rest, 1, 1) = '.' THEN substr(rest, 2) END AS frac FROM (${rest})`;
  const zone = `SELECT v, frac, CASE WHEN frac IS NULL THEN rest ELSE ltrim(frac, '0123456789') END AS zone FROM (${split})`;
  const digits = `SELECT v, frac, zone, CASE WHEN frac IS NULL THEN 0 ELSE length(frac) - length(zone) END AS k FROM (${zone})`;
  const marked = `SELECT ${valid} AS ok, ${kind === 'timestamp' ? 'substr(v, 11, 1)' : "' '"} AS sep, zone, k, frac FROM (${digits})`;
  return (
    `SELECT count(*), sum(ok), min(CASE WHEN ok THEN sep END), max(CASE WHEN ok THEN sep END), min(CASE WHEN ok THEN zone END), max(CASE WHEN ok THEN zone END),` +
    ` min(CASE WHEN ok THEN k END), max(CASE WHEN ok THEN k END), sum(ok AND k > 0 AND substr(frac, k, 1) = '0'),` +
    ` sum(ok AND k > 0 AND substr(frac, 1, k) NOT GLOB '*[1-9]*'), sum(ok AND k BETWEEN 1 AND 5) FROM (${marked})`
  );
}

/** Reads the row of {@link formQuery}. */
export function readFormStats(row: readonly unknown[]): FormStats {
  const n = (v: unknown) => Number(v ?? 0);
  const t = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  return {
    texts: n(row[0]),
    valid: n(row[1]),
    separators: [t(row[2]), t(row[3])],
    zones: [t(row[4]), t(row[5])],
    digits: [n(row[6]), n(row[7])],
    trailingZero: n(row[8]),
    zeroFraction: n(row[9]),
    someDigits: n(row[10]),
  };
}

function fitSql(q: string, declared: DeclaredType): string | undefined {
  switch (declared.intent) {
    case 'boolean':
      return `typeof(${q}) = 'integer' AND ${q} IN (0, 1)`;
    case 'timestamp':
      return `CASE WHEN typeof(${q}) = 'text' THEN ${timestampCheck(q)} ELSE 0 END`;
    case 'date':
      return `CASE WHEN typeof(${q}) = 'text' THEN ${dateCheck(q)} ELSE 0 END`;
    case 'time':
      return `typeof(${q}) = 'text' AND ${timeCheck(q)}`;
    case 'json':
      return `typeof(${q}) = 'text' AND json_valid(${q})`;
    case 'uuid':
      return `typeof(${q}) = 'text' AND ${q} GLOB '${UUID_GLOB}'`;
    case 'decimal': {
      if (declared.precision === undefined) return undefined;
      const limit = `1e${declared.precision - (declared.scale ?? 0)}`;
      return (
        `(typeof(${q}) = 'integer' AND abs(${q} + 0.0) < ${limit}) OR ` +
        `(typeof(${q}) = 'real' AND ${roundsTo(q, declared.scale ?? 0)} AND abs(${q}) < ${limit})`
      );
    }
    default:
      return undefined;
  }
}

const STATS = 9;

/**
 * The aggregate query for a table: {@link STATS} numbers per column, in column order, and
 * the row count last. `checkText` adds the test for text that needs a UTF-8 check; tables
 * read in batches skip it (their batches are checked as they stream, at no extra scan).
 */
export function profileQuery(table: string, columns: ReadonlyArray<{ name: string; declared: DeclaredType }>, checkText = true): string {
  return `SELECT ${profileParts(columns, checkText).join(', ')} FROM ${quoteIdent(table)}`;
}

/** The aggregates of {@link profileQuery}, the row count last. */
export function profileParts(columns: ReadonlyArray<{ name: string; declared: DeclaredType }>, checkText = true): string[] {
  const parts: string[] = [];
  for (const { name, declared } of columns) {
    const q = quoteIdent(name);
    // Integers and text of a declared width (integer, varchar(n)): the values that fit it.
    const fit = fitSql(q, declared) ?? sizeFitSql(q, declared);
    const timestamp = declared.intent === 'timestamp';
    parts.push(
      `sum(typeof(${q}) = 'integer')`,
      `sum(typeof(${q}) = 'real')`,
      `sum(typeof(${q}) = 'text')`,
      `sum(typeof(${q}) = 'blob')`,
      `sum(CASE WHEN typeof(${q}) = 'real' THEN ${wholeReal(q)} ELSE 0 END)`,
      checkText ? `sum(CASE WHEN typeof(${q}) = 'text' THEN ${needsTextCheck(q)} ELSE 0 END)` : '0',
      fit ? `sum(${fit})` : '0',
      timestamp ? `sum(CASE WHEN typeof(${q}) = 'text' THEN ${dateCheck(q)} ELSE 0 END)` : '0',
      timestamp ? `sum(CASE WHEN typeof(${q}) = 'text' THEN ${millisCheck(q)} ELSE 0 END)` : '0',
    );
  }
  parts.push('count(*)');
  return parts;
}

/** The storage class a column's declaration leads one to expect, when there is one. */
export function expectedClass(declared: DeclaredType): 'integer' | 'real' | 'text' | 'blob' | 'number' | undefined {
  switch (declared.intent) {
    case 'integer':
    case 'boolean':
      return 'integer';
    case 'float':
      return 'real';
    case 'decimal':
      return 'number';
    case 'blob':
      return 'blob';
    case 'text':
    case 'timestamp':
    case 'date':
    case 'time':
    case 'json':
    case 'uuid':
      return 'text';
    default:
      return declared.affinity === 'INTEGER' ? 'integer' : declared.affinity === 'REAL' ? 'real' : declared.affinity === 'TEXT' ? 'text' : undefined;
  }
}

/** What the quick pass measures for one column. */
export interface QuickColumnPlan {
  expected: ReturnType<typeof expectedClass>;
  /** SQL aggregates, in order. */
  parts: string[];
  /** The first aggregate counts the values (false: how many does not change the decision). */
  counted: boolean;
}

/** Intents whose decision compares counts (fitting values against all values). */
const COUNTING_INTENTS: ReadonlySet<string> = new Set(['boolean', 'timestamp', 'date', 'time', 'json', 'uuid']);

/**
 * The quick pass: for a column whose declaration says what to expect, count the non-NULL
 * values and the values of any other storage class (usually none), plus the checks its
 * intent needs; only columns with surprises get the full breakdown of {@link profileQuery}.
 * This keeps the scan to two or three cheap expressions per column.
 */
export function quickPlan(name: string, declared: DeclaredType, checkText: boolean): QuickColumnPlan {
  const q = quoteIdent(name);
  const expected = expectedClass(declared);
  if (expected === undefined) return { expected, parts: [], counted: false };
  // Two counts share one sum (low and high 32 bits), so each value is looked at once per pair.
  const HIGH = 4294967296;
  if (expected === 'number') {
    const fit = decimalFit(q, declared);
    // Whole REAL values only matter in a column without type affinity (see decideColumnType).
    const whole = declared.affinity === 'BLOB' ? wholeReal(q) : '0';
    return {
      expected,
      counted: true,
      parts: [
        `count(${q})`,
        `sum(CASE typeof(${q}) WHEN 'integer' THEN ${fit?.integer ?? 0} WHEN 'real' THEN ${HIGH} + ${fit?.real ?? 0} ELSE 0 END)`,
        `sum(CASE typeof(${q}) WHEN 'real' THEN ${whole} WHEN 'integer' THEN 0 WHEN 'null' THEN 0 ELSE ${HIGH} END)`,
      ],
    };
  }
  // Integers, text or blobs with nothing else to check: the column's type does not depend on
  // how many values it holds, only on their being of the expected class. Values past a declared
  // width (integer, varchar(n)) are counted with the others (high), in the same expression: the
  // benchmark's million orders (two integer keys, one varchar) took 1.94 s -> 2.04 s, its
  // hundred thousand users (five varchar columns) 0.25 s -> 0.29 s; length() is most of it.
  const counted = expected === 'real' || COUNTING_INTENTS.has(declared.intent) || checkText;
  const misfit = sizeMisfitSql(q, declared);
  const parts = [
    counted ? `count(${q})` : '0',
    expected === 'real'
      ? `sum(CASE typeof(${q}) WHEN 'real' THEN ${wholeReal(q)} WHEN 'null' THEN 0 ELSE ${HIGH} END)`
      : `sum(CASE typeof(${q}) WHEN '${expected}' THEN ${misfit ? `CASE WHEN ${misfit} THEN ${HIGH} ELSE 0 END` : 0} WHEN 'null' THEN 0 ELSE 1 END)`,
  ];
  if (declared.intent === 'timestamp') {
    // One pass over the text: PostgreSQL's own form (low) and the three-digit form (high). Plain
    // dates are counted only when neither form holds every value (see readQuick).
    parts.push(`sum(CASE WHEN typeof(${q}) <> 'text' THEN 0 ELSE (${timestampCheck(q)}) + ${HIGH} * (${millisCheck(q)}) END)`);
  } else {
    const fit = fitSql(q, declared);
    if (fit) parts.push(`sum(${fit})`);
  }
  if (checkText && expected === 'text') parts.push(`sum(CASE WHEN typeof(${q}) = 'text' THEN ${needsTextCheck(q)} ELSE 0 END)`);
  return { expected, parts, counted };
}

/** The fit of a decimal(p,s) value, per storage class, as 0/1 SQL. */
function decimalFit(q: string, declared: DeclaredType): { integer: string; real: string } | undefined {
  if (declared.precision === undefined) return undefined;
  const limit = `1e${declared.precision - (declared.scale ?? 0)}`;
  return { integer: `(abs(${q} + 0.0) < ${limit})`, real: `(${roundsTo(q, declared.scale ?? 0)} AND abs(${q}) < ${limit})` };
}

/**
 * A REAL that keeps its value when rounded to `scale` decimals (`round(q, scale) = q`). SQLite
 * rounds to decimals by printing and parsing text; most values pass a test in plain arithmetic
 * first (scaled, rounded to a whole number, scaled back: the same double means the value is the
 * double nearest a number with `scale` decimals, so it rounds to itself), and only the others
 * take the slow path. 10^scale is exact for every scale a decimal can have (up to 10^22).
 */
export function roundsTo(q: string, scale: number): string {
  if (scale === 0 || scale > 22) return `round(${q}, ${scale}) = ${q}`;
  return `CASE WHEN round(${q} * 1e${scale}) / 1e${scale} = ${q} THEN 1 ELSE round(${q}, ${scale}) = ${q} END`;
}

/**
 * Reads the quick pass for one column back as full stats, or undefined when the column
 * holds other classes than expected (it then needs the full breakdown).
 */
export function readQuick(plan: QuickColumnPlan, declared: DeclaredType, values: readonly unknown[], checkText: boolean): ColumnStats | undefined {
  const n = values.map((v) => Number(v ?? 0));
  // Two counts packed in one sum pass 2^53 from 2^21 rows: split them as the exact integers they are.
  const big = values.map((v) => BigInt((v as bigint | number | null) ?? 0));
  const split = (k: number) => [Number(big[k]! % 4294967296n), Number(big[k]! / 4294967296n)] as const;
  const stats: ColumnStats = { integers: 0, reals: 0, texts: 0, blobs: 0, integralReals: 0, nonAscii: 0, fitting: 0, dates: 0, millis: 0 };
  // Not counted: one value stands for "some or none", which decide the same.
  const count = plan.counted ? n[0]! : 1;
  if (plan.expected === undefined) return undefined;
  if (plan.expected === 'number') {
    const [fit, reals] = split(1);
    const [whole, others] = split(2);
    if (others > 0) return undefined;
    return { ...stats, reals, integers: count - reals, integralReals: whole, fitting: fit };
  }
  let i = 2;
  if (plan.expected === 'real') {
    const [whole, others] = split(1);
    if (others > 0) return undefined;
    stats.reals = count;
    stats.integralReals = whole;
  } else {
    const [others, misfits] = split(1);
    if (others > 0) return undefined;
    if (plan.expected === 'integer') stats.integers = count;
    else if (plan.expected === 'text') stats.texts = count;
    else stats.blobs = count;
    // Uncounted, one value stands for all: any misfit still leaves fewer fitting than there are.
    if (sizeMisfitSql('q', declared)) stats.fitting = count - misfits;
  }
  if (declared.intent === 'timestamp') {
    [stats.fitting, stats.millis] = split(i++);
    // Every value in one timestamp form leaves no plain date (dates: 0). Otherwise the column
    // may be all dates: the full breakdown counts them.
    if (stats.fitting !== stats.texts && stats.millis !== stats.texts) return undefined;
  } else if (fitSql('q', declared)) {
    stats.fitting = n[i++]!;
  }
  if (checkText && plan.expected === 'text') stats.nonAscii = n[i++]!;
  return stats;
}

/** Splits the profile row into per-column stats. */
export function readProfile(row: readonly unknown[], columnCount: number): ColumnStats[] {
  const n = (v: unknown) => Number(v ?? 0);
  const out: ColumnStats[] = [];
  for (let i = 0; i < columnCount; i++) {
    const r = row.slice(i * STATS, i * STATS + STATS).map(n);
    out.push({
      integers: r[0]!,
      reals: r[1]!,
      texts: r[2]!,
      blobs: r[3]!,
      integralReals: r[4]!,
      nonAscii: r[5]!,
      fitting: r[6]!,
      dates: r[7]!,
      millis: r[8]!,
    });
  }
  return out;
}
