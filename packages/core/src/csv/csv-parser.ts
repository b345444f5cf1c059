import { StringDecoder } from 'node:string_decoder';
import { HesapError } from '../errors';

/** One parsed row: `null` for an unquoted empty field (SQL NULL), a string otherwise. */
export type CsvRow = (string | null)[];

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * An incremental parser for PostgreSQL's CSV dialect. Feed it chunks as they arrive
 * (split anywhere, even inside a UTF-8 character or a quoted field); it calls `onRow`
 * for every complete row. Memory is bounded by the longest single row.
 *
 * The NULL/empty distinction is kept: `a,,"",b` gives `['a', null, '', 'b']`.
 *
 * @example
 * const rows: CsvRow[] = [];
 * const parser = new CsvParser((row) => rows.push(row));
 * parser.write(Buffer.from('1,"x"\n2,'));
 * parser.end(); // rows: [['1', 'x'], ['2', null]]
 */
export class CsvParser {
  private readonly decoder = new StringDecoder('utf8');
  private fields: CsvRow = [];
  /** Text of the field being read; parts of it may have come in earlier chunks. */
  private field = '';
  private fieldQuoted = false;
  private inQuotes = false;
  /** A quote closed the quoted text at the very end of the last chunk: it may be the first half of `""`. */
  private quoteAtEnd = false;
  /** The last chunk ended in CR; a LF at the start of the next one belongs to it. */
  private crAtEnd = false;
  private rowStarted = false;
  /** Complete rows seen so far (1-based line numbers in errors come from this). */
  rows = 0;

  constructor(private readonly onRow: (row: CsvRow) => void) {}

  write(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (text.length > 0) this.parse(text);
  }

  /** Flushes the last row when the input did not end in a newline. */
  end(): void {
    const rest = this.decoder.end();
    if (rest.length > 0) this.parse(rest);
    if (this.quoteAtEnd) {
      this.quoteAtEnd = false;
      this.inQuotes = false;
    }
    if (this.inQuotes) {
      throw new HesapError('INVALID_TEXT', `CSV data ends inside a quoted field (row ${this.rows + 1}).`, {
        row: `line ${this.rows + 1}`,
      });
    }
    if (this.rowStarted || this.field.length > 0 || this.fieldQuoted || this.fields.length > 0) this.endRow();
  }

  private endField(): void {
    this.fields.push(this.fieldQuoted || this.field.length > 0 ? this.field : null);
    this.field = '';
    this.fieldQuoted = false;
  }

  private endRow(): void {
    this.endField();
    const row = this.fields;
    this.fields = [];
    this.rowStarted = false;
    this.rows++;
    this.onRow(row);
  }

  private parse(s: string): void {
    let i = 0;
    const n = s.length;
    if (this.crAtEnd) {
      this.crAtEnd = false;
      if (s.charCodeAt(0) === LF) i = 1;
    }
    if (this.quoteAtEnd) {
      this.quoteAtEnd = false;
      if (s.charCodeAt(0) === QUOTE) {
        this.field += '"';
        i++;
      } else {
        this.inQuotes = false;
      }
    }
    while (i < n) {
      if (this.inQuotes) {
        const q = s.indexOf('"', i);
        if (q < 0) {
          this.field += s.slice(i);
          return;
        }
        this.field += s.slice(i, q);
        if (q + 1 === n) {
          this.quoteAtEnd = true;
          return;
        }
        if (s.charCodeAt(q + 1) === QUOTE) {
          this.field += '"';
          i = q + 2;
        } else {
          this.inQuotes = false;
          i = q + 1;
        }
        continue;
      }
      // Outside quotes: scan to the next delimiter, quote or line end.
      let j = i;
      let c = 0;
      while (j < n) {
        c = s.charCodeAt(j);
        if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
        j++;
      }
      if (j > i) {
        this.field += s.slice(i, j);
        this.rowStarted = true;
      }
      if (j === n) return;
      this.rowStarted = true;
      if (c === QUOTE) {
        this.inQuotes = true;
        this.fieldQuoted = true;
        i = j + 1;
      } else if (c === COMMA) {
        this.endField();
        i = j + 1;
      } else {
        this.endRow();
        i = j + 1;
        if (c === CR) {
          if (i === n) this.crAtEnd = true;
          else if (s.charCodeAt(i) === LF) i++;
        }
      }
    }
  }
}

/** Parses a complete CSV text at once (tests, small inputs). */
export function parseCsv(text: string | Buffer): CsvRow[] {
  const rows: CsvRow[] = [];
  const parser = new CsvParser((row) => rows.push(row));
  parser.write(text);
  parser.end();
  return rows;
}
