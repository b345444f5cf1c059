import { parse as csvParseSync } from 'csv-parse/sync';
import * as fc from 'fast-check';
import { HesapError } from '../errors';
import type { NeutralType } from '../schema';
import { encodeRow } from './csv-encoder';
import { CsvParser, parseCsv, type CsvRow } from './csv-parser';

/** Feeds `chunks` one by one, then ends; returns every row. */
function parseChunks(chunks: ReadonlyArray<Buffer | string>): CsvRow[] {
  const rows: CsvRow[] = [];
  const parser = new CsvParser((row) => rows.push(row));
  for (const chunk of chunks) parser.write(chunk);
  parser.end();
  return rows;
}

/** Splits a buffer at the given offsets (any order, duplicates and out-of-range offsets allowed). */
function splitAt(buffer: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.map((o) => o % (buffer.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(buffer.subarray(start, cut));
    start = cut;
  }
  chunks.push(buffer.subarray(start));
  return chunks;
}

function encodeTextRows(rows: ReadonlyArray<ReadonlyArray<string | null>>): string {
  return rows.map((row) => encodeRow(row, row.map((): NeutralType => 'text'))).join('');
}

function errorOf(fn: () => unknown): HesapError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HesapError);
    return error as HesapError;
  }
  throw new Error('expected a HesapError, but nothing was thrown');
}

// Characters that matter to CSV and PostgreSQL, multi-byte and astral ones, and any code point (no NUL).
const special = fc.constantFrom('"', '""', ',', '\r', '\n', '\r\n', '\\.', '\\N', '\\', 'N', ' ', 'é', '€', '😀', '\u2028', '\uFEFF');
const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const text = fc
  .string({ unit: fc.oneof({ arbitrary: special, weight: 2 }, { arbitrary: anyChar, weight: 1 }), maxLength: 12 })
  .filter((s) => !s.includes('\u0000'));
const value = fc.oneof(fc.constant(null), fc.constant(''), text);
/** Rows of one width (1..5 columns), as CSV tables have. */
const table = fc.integer({ min: 1, max: 5 }).chain((width) => fc.array(fc.array(value, { minLength: width, maxLength: width }), { maxLength: 8 }));

describe('parseCsv', () => {
  it('keeps NULL (unquoted empty) apart from the empty string ("")', () => {
    expect(parseCsv('a,,"",b\n')).toEqual([['a', null, '', 'b']]);
  });

  it('reads the last row also without a final newline', () => {
    expect(parseCsv('1,"x"\n2,')).toEqual([
      ['1', 'x'],
      ['2', null],
    ]);
  });

  it('gives no rows for empty input and one NULL field for an empty line', () => {
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\n')).toEqual([[null]]);
    expect(parseCsv('""\n')).toEqual([['']]);
  });

  it('reads commas, quotes, CR and LF inside quoted fields as data', () => {
    expect(parseCsv('"a,b","say ""hi""","x\r\ny","\\.","\\N"\n')).toEqual([['a,b', 'say "hi"', 'x\r\ny', '\\.', '\\N']]);
  });

  it('accepts LF, CRLF and a lone CR as line ends', () => {
    expect(parseCsv('a\nb\r\nc\rd')).toEqual([['a'], ['b'], ['c'], ['d']]);
  });

  it('reads a Buffer as UTF-8', () => {
    expect(parseCsv(Buffer.from('"é😀",x\n', 'utf8'))).toEqual([['é😀', 'x']]);
  });

  it('keeps unquoted text as it is, spaces included', () => {
    expect(parseCsv(' a , NULL \n')).toEqual([[' a ', ' NULL ']]);
  });

  it('throws INVALID_TEXT naming the row when the data ends inside a quoted field', () => {
    const error = errorOf(() => parseCsv('1,"ok"\n2,"never closed\n'));
    expect(error.code).toBe('INVALID_TEXT');
    expect(error.row).toBe('line 2');
    expect(error.message).toContain('row 2');
    expect(errorOf(() => parseCsv('"')).code).toBe('INVALID_TEXT');
  });

  it('gives back exactly the rows encodeRow wrote, for any text values', () => {
    fc.assert(
      fc.property(table, (rows) => {
        expect(parseCsv(encodeTextRows(rows))).toEqual(rows);
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with csv-parse on the text of every field (csv-parse has no NULL)', () => {
    fc.assert(
      fc.property(table, (rows) => {
        const csv = encodeTextRows(rows);
        const oracle: string[][] = csvParseSync(csv, { relax_column_count: false, record_delimiter: '\n' });
        expect(oracle).toEqual(rows.map((row) => row.map((v) => v ?? '')));
      }),
      { numRuns: 400 },
    );
  });
});

describe('CsvParser', () => {
  it('calls onRow for every complete row as soon as it is complete', () => {
    const rows: CsvRow[] = [];
    const parser = new CsvParser((row) => rows.push(row));
    parser.write('1,a\n2,');
    expect(rows).toEqual([['1', 'a']]);
    expect(parser.rows).toBe(1);
    parser.write('b\n3');
    expect(rows).toEqual([
      ['1', 'a'],
      ['2', 'b'],
    ]);
    parser.end();
    expect(rows).toEqual([['1', 'a'], ['2', 'b'], ['3']]);
    expect(parser.rows).toBe(3);
  });

  it('treats a CR at the end of one chunk and a LF at the start of the next as one line end', () => {
    expect(parseChunks(['a,b\r', '\nc,d\r\n'])).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(parseChunks([Buffer.from('x\r'), Buffer.from('\n'), Buffer.from('y')])).toEqual([['x'], ['y']]);
  });

  it('treats a CR at the end of a chunk followed by other data as a line end of its own', () => {
    expect(parseChunks(['a\r', 'b\n'])).toEqual([['a'], ['b']]);
    expect(parseChunks(['a\r', '\r', '\n'])).toEqual([['a'], [null]]);
  });

  it('reads a quote at the end of a chunk as the first half of "" when the next chunk starts with a quote', () => {
    expect(parseChunks(['"ab"', '"c"\n'])).toEqual([['ab"c']]);
    expect(parseChunks(['"', '"', '"', '"', '\n'])).toEqual([['"']]);
  });

  it('reads a quote at the end of a chunk as the closing quote otherwise', () => {
    expect(parseChunks(['"ab"', ',x\n'])).toEqual([['ab', 'x']]);
    expect(parseChunks(['"ab"', '\n'])).toEqual([['ab']]);
    expect(parseChunks(['"ab"'])).toEqual([['ab']]);
    expect(parseChunks(['""'])).toEqual([['']]);
  });

  it('joins a multi-byte UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('"é😀",€\n', 'utf8');
    // Cut inside é (bytes 1-2), inside 😀 (bytes 3-6) and inside € (bytes 9-11).
    expect(parseChunks(splitAt(bytes, [2, 4, 5, 10]))).toEqual([['é😀', '€']]);
  });

  it('reads a 1 MB field split over many chunks', () => {
    const unit = 'ab"c,\r\nd é😀 \\.';
    const big = unit.repeat(Math.ceil(1_000_000 / unit.length));
    const csv = Buffer.from(encodeTextRows([['before', big, null], ['', 'after', 'x']]), 'utf8');
    expect(csv.length).toBeGreaterThan(1_000_000);
    const chunks: Buffer[] = [];
    // 997 is prime, so cuts land everywhere: inside "", inside CRLF, inside multi-byte characters.
    for (let i = 0; i < csv.length; i += 997) chunks.push(csv.subarray(i, i + 997));
    const rows = parseChunks(chunks);
    expect(rows).toHaveLength(2);
    expect(rows[0]![0]).toBe('before');
    expect(rows[0]![1]!.length).toBe(big.length);
    expect(rows[0]![1] === big).toBe(true);
    expect(rows[0]![2]).toBeNull();
    expect(rows[1]).toEqual(['', 'after', 'x']);
  });

  it('gives the same rows when fed one byte at a time', () => {
    const rows = [
      ['"', '""', null, ''],
      ['a\r\nb', '😀é', '\\.', ','],
      [null, null, '\r', '\n'],
    ];
    const csv = Buffer.from(encodeTextRows(rows), 'utf8');
    const bytes = Array.from({ length: csv.length }, (_, i) => csv.subarray(i, i + 1));
    expect(parseChunks(bytes)).toEqual(rows);
  });

  it('throws INVALID_TEXT at end() when a chunked quoted field never closes', () => {
    const parser = new CsvParser(() => undefined);
    parser.write('"abc');
    parser.write('def""');
    expect(errorOf(() => parser.end()).code).toBe('INVALID_TEXT');
  });

  it('gives the same rows for encoded CSV split at arbitrary byte offsets', () => {
    fc.assert(
      fc.property(table, fc.array(fc.nat(), { maxLength: 20 }), (rows, offsets) => {
        const csv = Buffer.from(encodeTextRows(rows), 'utf8');
        expect(parseChunks(splitAt(csv, offsets))).toEqual(rows);
      }),
      { numRuns: 400 },
    );
  });
});
