import { ContentChecksum, CONTENT_CHECKSUM_VERSION, canonicalField } from './checksum';
import { Murmur3Utf8 } from './murmur3';
import { CsvParser, type CsvRow } from './csv/csv-parser';
import type { NeutralType } from './schema';

export interface CsvChecksumResult {
  rows: number;
  /** `ContentChecksum.digest()`. */
  digest: string;
}

/** Why a CSV could not be checksummed: a row with another number of fields, or text that is not CSV. */
export class CsvChecksumFailure extends Error {
  constructor(
    message: string,
    /** `fields`: `row` had `fields` fields for the table's columns; `csv`: the parser's complaint is the message. */
    readonly kind: 'fields' | 'csv',
    /** 1-based row number. */
    readonly row: number,
    readonly fields = 0,
  ) {
    super(message);
    this.name = 'CsvChecksumFailure';
  }
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const NULL_LETTER = 0x4e;

/** How a column's values reach the hash: their bytes as they are, ASCII made small, or through `canonicalField`. */
const enum Way {
  Bytes,
  Lower,
  Canonical,
}

function wayOf(type: NeutralType | undefined): Way {
  switch (type) {
    case 'bytes':
      return Way.Lower;
    case 'integer':
    case 'float':
    case 'decimal':
    case 'boolean':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'uuid':
      return Way.Canonical;
    default:
      return Way.Bytes;
  }
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const POINT = 0x2e;
const ZERO = 0x30;

const isDigit = (c: number): boolean => c >= ZERO && c <= 0x39;

/**
 * Writes the canonical form of a value to `h` straight from its bytes `t[0..n)`, for the
 * common spellings (the same result `canonicalField` gives their text, property-tested):
 * integers not starting with `+`, `0` or `-0`; decimals of plain digits (leading zeros,
 * trailing zeros of the fraction and the sign of zero dropped here); `t`/`f`; times whose
 * fraction is already trimmed. False, with nothing written: the text goes through
 * `canonicalField`.
 */
export function canonicalBytesInto(t: Uint8Array, n: number, type: NeutralType, h: Murmur3Utf8): boolean {
  if (n === 0) return false;
  const first = t[0]!;
  switch (type) {
    case 'integer':
      if (first === PLUS || (first === ZERO && n > 1) || (first === MINUS && t[1] === ZERO)) return false;
      break;
    case 'decimal':
      return decimalInto(t, n, h);
    case 'boolean':
      if (n !== 1 || (first !== 0x74 && first !== 0x66)) return false;
      break;
    case 'uuid':
      // PostgreSQL's spelling (36 characters, small letters) is the canonical one.
      if (n !== 36) return false;
      for (let k = 0; k < n; k++) if (t[k]! >= 0x41 && t[k]! <= 0x5a) return false;
      break;
    case 'time':
    case 'timestamp':
    case 'timestamptz': {
      // `T` between date and time, or a timestamptz not printed in UTC as PostgreSQL prints it: canonicalField.
      if (type !== 'time' && n > 10 && t[10] !== 0x20) return false;
      if (type === 'timestamptz' && !(n > 3 && t[n - 3] === PLUS && t[n - 2] === ZERO && t[n - 1] === ZERO)) return false;
      let point = 0;
      while (point < n && t[point] !== POINT) point++;
      if (point < n) {
        let j = point + 1;
        while (j < n && isDigit(t[j]!)) j++;
        const zoneOrEnd = j === n || t[j] === PLUS || t[j] === MINUS || t[j] === 0x5a;
        // `.500`, `.` before the zone or the end are trimmed by canonicalField; the rest is kept.
        if (!zoneOrEnd || j === point + 1 || t[j - 1] === ZERO) return false;
        // A second point: left to canonicalField.
        for (let k = j; k < n; k++) if (t[k] === POINT) return false;
      }
      break;
    }
    default:
      return false;
  }
  h.range(t, 0, n);
  return true;
}

/** A decimal of plain digits (`[+-]digits[.digits]`) in canonical form; false for anything else (exponents, NaN, spaces). */
function decimalInto(t: Uint8Array, n: number, h: Murmur3Utf8): boolean {
  let i = t[0] === MINUS || t[0] === PLUS ? 1 : 0;
  const negative = t[0] === MINUS;
  let wholeStart = i;
  while (i < n && isDigit(t[i]!)) i++;
  const wholeEnd = i;
  let fractionStart = i;
  let fractionEnd = i;
  if (i < n) {
    if (t[i] !== POINT) return false;
    fractionStart = ++i;
    while (i < n && isDigit(t[i]!)) i++;
    fractionEnd = i;
    if (i !== n) return false;
  }
  if (wholeEnd === wholeStart && fractionEnd === fractionStart) return false;
  while (wholeStart < wholeEnd && t[wholeStart] === ZERO) wholeStart++;
  while (fractionEnd > fractionStart && t[fractionEnd - 1] === ZERO) fractionEnd--;
  if (negative && (wholeStart < wholeEnd || fractionEnd > fractionStart)) h.byte(MINUS);
  if (wholeStart === wholeEnd) h.byte(ZERO);
  else h.range(t, wholeStart, wholeEnd);
  if (fractionEnd > fractionStart) {
    h.byte(POINT);
    h.range(t, fractionStart, fractionEnd);
  }
  return true;
}

/**
 * The content checksum of PostgreSQL CSV read as bytes, the way `CsvParser` reads it, with
 * the digest `ContentChecksum.add` gives its rows (for valid UTF-8). Text-like values are
 * hashed straight from the chunk, never made into strings: memory stays small whatever a
 * value's size, and most of the time of a parse goes. Numbers, booleans and times (short)
 * are made into strings for `canonicalField`.
 */
export class CsvChecksummer {
  private readonly sum: ContentChecksum;
  private readonly hash = new Murmur3Utf8();
  private readonly ways: Way[];
  /** Fields begun in the current row. */
  private field = 0;
  /**
   * Within a field: 0 not begun (so far NULL), 1 begun (text, or a closed quote), 2 inside
   * quotes, 3 a quote inside quotes seen last.
   */
  private state = 0;
  private crLast = false;
  /** A Canonical field's bytes. */
  private scratch = Buffer.allocUnsafeSlow(64);
  private scratchLength = 0;
  /** Version 2 only: rows parsed into strings, as that version hashed them. */
  private parser?: CsvParser;

  constructor(
    private readonly types: readonly NeutralType[],
    private readonly version = CONTENT_CHECKSUM_VERSION,
  ) {
    this.sum = new ContentChecksum(types, version);
    this.ways = types.map(wayOf);
  }

  /** Rows checksummed so far. */
  get rows(): number {
    return this.sum.rows;
  }

  write(chunk: Buffer | Uint8Array): void {
    const b = chunk instanceof Buffer ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.version !== 3) {
      this.parser ??= countedRows(this.sum);
      this.guard(() => this.parser!.write(b));
      return;
    }
    const n = b.length;
    if (n === 0) return;
    let i = 0;
    if (this.crLast) {
      this.crLast = false;
      if (b[0] === LF) i = 1;
    }
    while (i < n) {
      if (this.state === 2) {
        // Inside quotes: everything up to the next quote is the value's (a short value is
        // scanned here, a long one by indexOf).
        let q = i;
        const near = Math.min(n, i + 48);
        while (q < near && b[q] !== QUOTE) q++;
        if (q === near) q = near === n ? -1 : b.indexOf(QUOTE, near);
        const end = q < 0 ? n : q;
        if (end > i) this.take(b, i, end);
        if (q < 0) return;
        this.state = 3;
        i = q + 1;
        continue;
      }
      if (this.state === 3) {
        if (b[i] === QUOTE) {
          // `""` inside quotes: one quote of the value.
          this.take(b, i, i + 1);
          this.state = 2;
          i++;
          continue;
        }
        this.state = 1;
      }
      // Outside quotes: to the next delimiter, quote or line end.
      let j = i;
      let c = 0;
      while (j < n) {
        c = b[j]!;
        if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
        j++;
      }
      if (j > i) {
        this.begin();
        this.take(b, i, j);
      }
      if (j === n) return;
      if (c === QUOTE) {
        this.begin();
        this.state = 2;
      } else if (c === COMMA) {
        this.endField();
      } else {
        this.endRow();
        if (c === CR) {
          if (j + 1 === n) this.crLast = true;
          else if (b[j + 1] === LF) j++;
        }
      }
      i = j + 1;
    }
  }

  end(): CsvChecksumResult {
    if (this.version !== 3) {
      this.parser ??= countedRows(this.sum);
      this.guard(() => this.parser!.end());
      return { rows: this.sum.rows, digest: this.sum.digest() };
    }
    if (this.state === 2) {
      throw new CsvChecksumFailure(`CSV data ends inside a quoted field (row ${this.sum.rows + 1}).`, 'csv', this.sum.rows + 1);
    }
    if (this.state !== 0 || this.field > 0) this.endRow();
    return { rows: this.sum.rows, digest: this.sum.digest() };
  }

  /** A field's first byte or quote: the separator before it goes into the hash. */
  private begin(): void {
    if (this.state !== 0) return;
    this.state = 1;
    if (this.field > 0) {
      this.hash.byte(0);
      this.hash.byte(COMMA);
    }
  }

  private take(b: Buffer, start: number, end: number): void {
    const way = this.ways[this.field];
    if (way === Way.Bytes || way === undefined) this.hash.range(b, start, end);
    else if (way === Way.Lower) this.hash.lowerRange(b, start, end);
    else {
      const size = this.scratchLength + end - start;
      if (size > this.scratch.length) {
        const next = Buffer.allocUnsafeSlow(size * 2);
        this.scratch.copy(next, 0, 0, this.scratchLength);
        this.scratch = next;
      }
      const t = this.scratch;
      let p = this.scratchLength;
      for (let i = start; i < end; i++) t[p++] = b[i]!;
      this.scratchLength = size;
    }
  }

  private endField(): void {
    if (this.state === 0) {
      // Nothing at all: NULL.
      this.begin();
      this.hash.byte(0);
      this.hash.byte(NULL_LETTER);
    } else if (this.ways[this.field] === Way.Canonical) {
      const type = this.types[this.field]!;
      const t = this.scratch;
      const n = this.scratchLength;
      if (!canonicalBytesInto(t, n, type, this.hash)) this.hash.text(canonicalField(t.toString('utf8', 0, n), type));
    }
    this.scratchLength = 0;
    this.state = 0;
    this.field++;
  }

  private endRow(): void {
    this.endField();
    const fields = this.types.length;
    if (this.field !== fields) {
      throw new CsvChecksumFailure(`row ${this.sum.rows + 1} has ${this.field} fields for ${fields} columns`, 'fields', this.sum.rows + 1, this.field);
    }
    this.sum.addHashed(this.hash);
    this.field = 0;
  }

  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      if (error instanceof CsvChecksumFailure) throw error;
      throw new CsvChecksumFailure((error as Error).message, 'csv', this.rows + 1);
    }
  }
}

/**
 * A string parser that adds each row to `sum` (and hands it to `onRow`), failing with
 * `CsvChecksumFailure` on a row with another number of fields than `sum`'s columns.
 */
export function countedRows(sum: ContentChecksum, onRow?: (row: CsvRow) => void): CsvParser {
  const fields = sum.columns;
  return new CsvParser((row) => {
    if (row.length !== fields) {
      throw new CsvChecksumFailure(`row ${sum.rows + 1} has ${row.length} fields for ${fields} columns`, 'fields', sum.rows + 1, row.length);
    }
    sum.add(row);
    onRow?.(row);
  });
}
