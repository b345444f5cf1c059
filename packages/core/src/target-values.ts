import type { Readable } from 'node:stream';
import { canonicalField } from './checksum';
import { formatFloat } from './csv/csv-encoder';
import { CsvParser } from './csv/csv-parser';
import { isDateText, parseTimestampText, parseTimeText } from './datetime-text';
import { HesapError } from './errors';
import { readJsonText } from './json-text';
import type { Column, Table } from './schema';

/**
 * Values going into a column that already exists in the target (made by the app's ORM) and is
 * narrower than the source's: `varchar(n)`, `boolean` from 0/1, `integer`, `numeric(p,s)`,
 * `jsonb`, `uuid`, date-time types from text. Each value must mean the same there or the push
 * is refused before anything is written, naming table, column, row and value. The tests read
 * the CSV text the source writes for the column.
 */

/** Why a value cannot go into the target column as it is, or undefined when it can. */
export type ValueTest = (text: string) => string | undefined;

const INTEGER_BOUNDS: Record<2 | 4, [bigint, bigint]> = { 2: [-32768n, 32767n], 4: [-2147483648n, 2147483647n] };
const SAFE = 2n ** 53n;
const UUID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i;

/** Digits before and after the point of an exact decimal text (canonical: `12.5`, `-0.75`). */
function decimalDigits(text: string): [number, number] | undefined {
  const c = canonicalField(text, 'decimal');
  const m = /^-?(\d+)(?:\.(\d+))?$/.exec(c);
  if (!m) return undefined;
  return [m[1] === '0' ? 0 : m[1]!.length, m[2]?.length ?? 0];
}

function integerTest(source: Column, target: Column): ValueTest | undefined {
  const bytes = target.byteSize;
  // A source column of a width the target holds (its values were counted) needs no test.
  if (bytes === undefined || (source.type === 'integer' && source.byteSize !== undefined && source.byteSize <= bytes)) return undefined;
  const [lo, hi] = INTEGER_BOUNDS[bytes];
  return (t) => {
    const n = BigInt(t);
    return n < lo || n > hi ? `it is outside the ${bytes * 8}-bit range of ${target.declaredType} (${lo} to ${hi})` : undefined;
  };
}

function floatTest(source: Column, target: Column): ValueTest | undefined {
  const single = target.byteSize === 4;
  const exact = (n: number) => !single || Math.fround(n) === n || !Number.isFinite(n);
  if (source.type === 'integer') {
    return (t) => {
      const n = BigInt(t);
      if (n > SAFE || n < -SAFE || !exact(Number(n))) return `${target.declaredType} cannot hold this integer exactly`;
      return undefined;
    };
  }
  if (source.type === 'decimal') {
    return (t) => (canonicalField(formatFloat(Number(t)), 'decimal') === canonicalField(t, 'decimal') && exact(Number(t)) ? undefined : `${target.declaredType} cannot hold this number exactly`);
  }
  return single ? (t) => (exact(Number(t)) ? undefined : `${target.declaredType} (single precision) cannot hold this number exactly`) : undefined;
}

function decimalTest(source: Column, target: Column): ValueTest | undefined {
  if (target.precision === undefined) return undefined;
  const scale = target.scale ?? 0;
  const whole = target.precision - scale;
  // A source column of a declared precision its values were found to fit (or a numeric(p,s)
  // of PostgreSQL's) needs no test when the target holds as many digits on both sides.
  if ((source.type === 'decimal' || source.type === 'integer') && source.precision !== undefined) {
    const sourceScale = source.scale ?? 0;
    if (sourceScale <= scale && source.precision - sourceScale <= whole) return undefined;
  }
  return (t) => {
    const digits = decimalDigits(t);
    if (!digits) return `${target.declaredType} cannot hold it`;
    if (digits[1] > scale) return `it has more than ${scale} digit${scale === 1 ? '' : 's'} after the point, which ${target.declaredType} would round`;
    if (digits[0] > whole) return `it has more than ${whole} digit${whole === 1 ? '' : 's'} before the point, which ${target.declaredType} cannot hold`;
    return undefined;
  };
}

function textTest(source: Column, target: Column): ValueTest | undefined {
  const max = target.maxLength;
  if (max === undefined || (source.type === 'text' && fitsLength(source, target))) return undefined;
  return (t) => {
    const length = [...t].length;
    if (length > max) return `it is ${length} characters long, more than ${target.declaredType} holds`;
    if (target.fixedLength && length < max) return `it is ${length} characters long, and ${target.declaredType} pads it with spaces to ${max}`;
    return undefined;
  };
}

/** Every value of `source` has as many characters as `target` takes (and gives back). */
function fitsLength(source: Column, target: Column): boolean {
  if (source.maxLength === undefined || target.maxLength === undefined) return false;
  return target.fixedLength ? source.fixedLength === true && source.maxLength === target.maxLength : source.maxLength <= target.maxLength;
}

function timestampTest(source: Column, target: Column): ValueTest | undefined {
  const digits = target.precision;
  const rounds = (fraction: string) => digits !== undefined && fraction.replace(/0+$/, '').length > digits;
  // Dates and timestamps the source already holds as such are read as they are, up to the digits
  // and, from a timestamptz into a timestamp, the zone (Django's UTC text has none).
  if (source.type !== 'text') {
    const zoned = source.type === 'timestamptz' && target.type === 'timestamp';
    // Values of at most as many fraction digits as the target keeps cannot be rounded.
    const kept = digits === undefined || digits >= 6 || (source.precision !== undefined && source.precision <= digits);
    if (!zoned && kept) return undefined;
    return (t) => {
      const parts = parseTimestampText(t);
      if (zoned && parts && parts.zone !== '') return zoneDropped(target);
      return rounds(parts?.fraction ?? '') ? roundedBy(target) : undefined;
    };
  }
  return (t) => {
    if (isDateText(t)) return undefined;
    const parts = parseTimestampText(t);
    if (!parts) return `PostgreSQL would not read it as the date and time it spells (${target.declaredType})`;
    if (parts.zone !== '' && target.type === 'timestamp') return zoneDropped(target);
    return rounds(parts.fraction) ? roundedBy(target) : undefined;
  };
}

const zoneDropped = (target: Column) => `it has a time zone, which ${target.declaredType} would drop`;

const roundedBy = (target: Column) => `it has more fraction digits than ${target.declaredType} keeps (it would be rounded)`;

function jsonTest(target: Column): ValueTest {
  return (t) => {
    const json = readJsonText(t);
    if (!json) return 'it is not valid JSON';
    if (!target.jsonParsed) return undefined;
    if (json.duplicateKey !== undefined) return `it holds the key ${JSON.stringify(json.duplicateKey)} twice, and ${target.declaredType} would keep only the last`;
    if (json.nul) return `it holds \\u0000, which ${target.declaredType} refuses`;
    return undefined;
  };
}

/** The test for values of `source` going into `target`; undefined when every value goes in as it is. */
export function valueTest(source: Column, target: Column): ValueTest | undefined {
  switch (target.type) {
    case 'boolean':
      return source.type === 'boolean' ? undefined : (t) => (t === '0' || t === '1' ? undefined : 'a boolean column takes 0 and 1 only');
    case 'integer':
      return integerTest(source, target);
    case 'float':
      return floatTest(source, target);
    case 'decimal':
      return decimalTest(source, target);
    case 'text':
      return textTest(source, target);
    case 'timestamp':
    case 'timestamptz':
      return timestampTest(source, target);
    case 'date':
      return source.type !== 'text' ? undefined : (t) => (isDateText(t) ? undefined : 'it is not a date PostgreSQL reads as written');
    case 'time':
      return source.type !== 'text' ? undefined : (t) => (parseTimeText(t) ? undefined : 'it is not a time of day PostgreSQL reads as written');
    case 'json':
      return source.type === 'json' && !target.jsonParsed ? undefined : jsonTest(target);
    case 'uuid':
      return source.type !== 'text' ? undefined : (t) => (UUID.test(t) ? undefined : 'it is not a UUID');
    default:
      return undefined;
  }
}

export interface ColumnValueTest {
  column: string;
  test: ValueTest;
}

/**
 * The tests the rows of a table need to go into its existing table in the target. `source` and
 * `target` are the table under its source and target names (columns in the same order).
 */
export function targetValueTests(plan: { source: Table; target: Table; existing?: Table }): ColumnValueTest[] {
  const out: ColumnValueTest[] = [];
  plan.source.columns.forEach((column, i) => {
    const existing = plan.existing?.columns.find((c) => c.name === plan.target.columns[i]!.name);
    const test = existing && valueTest(column, existing);
    if (test) out.push({ column: column.name, test });
  });
  return out;
}

const shown = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);

/**
 * Reads the table from the source and applies the tests to every value, failing at the first
 * one that does not pass. `table` is the source table; only the tested columns and the key are read.
 */
export async function checkTargetValues(read: (table: Table) => Readable, table: Table, tests: readonly ColumnValueTest[]): Promise<void> {
  if (tests.length === 0) return;
  const key = table.primaryKey?.columns ?? [];
  const names = [...new Set([...key, ...tests.map((t) => t.column)])];
  const columns = names.map((n) => table.columns.find((c) => c.name === n)!);
  const at = tests.map((t) => names.indexOf(t.column));
  let line = 0;
  let failure: HesapError | undefined;
  const parser = new CsvParser((row) => {
    line++;
    if (failure) return;
    for (let i = 0; i < tests.length; i++) {
      const text = row[at[i]!];
      if (text === null || text === undefined) continue;
      const why = tests[i]!.test(text);
      if (why === undefined) continue;
      const label = key.length > 0 ? key.map((k, j) => `${k}=${row[j] ?? 'NULL'}`).join(', ') : `row ${line}`;
      const column = tests[i]!.column;
      failure = new HesapError('VALUE_UNREPRESENTABLE', `Table "${table.name}", column "${column}", ${label}: the value ${shown(text)} cannot go into the target's column: ${why}. Nothing was written.`, {
        table: table.name,
        column,
        row: label,
        hints: [`Fix the value in the local file, or change the column in the target, or leave the table out with --exclude ${table.name}.`],
      });
      return;
    }
  });
  const stream = read({ ...table, columns });
  for await (const chunk of stream) {
    parser.write(chunk as Buffer);
    if (failure) break;
  }
  if (!failure) parser.end();
  stream.destroy();
  if (failure) throw failure;
}
