import { HesapError } from '../errors';
import type { NeutralType } from '../schema';

/**
 * Encoding of values into PostgreSQL's CSV dialect, the wire format between every
 * source and target (COPY ... (FORMAT csv) with its defaults):
 *
 * - NULL is an empty field without quotes; an empty string is `""`.
 * - Text is always quoted, so `\.`, `NULL`, commas, quotes, CR and LF need no special case.
 * - Booleans are `t`/`f`; bytes are `\x` followed by hex; integers are exact decimal
 *   (BigInt where needed); floats are the shortest text that reads back to the same
 *   double, including `-0`, `Infinity`, `-Infinity` and `NaN`.
 * - Rows end with `\n`.
 */

export type WireValue = null | undefined | string | number | bigint | boolean | Uint8Array | Date;

/** The shortest text that parses back to exactly `value`, in a form PostgreSQL accepts. */
export function formatFloat(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** Quotes a text field; fails on NUL, which no PostgreSQL text value can hold. */
export function quoteCsvText(value: string): string {
  if (value.includes('\u0000')) {
    throw new HesapError('INVALID_TEXT', 'A text value contains a NUL character, which PostgreSQL text cannot hold.');
  }
  return value.includes('"') ? `"${value.replace(/"/g, '""')}"` : `"${value}"`;
}

function hexBytes(value: Uint8Array): string {
  return '\\x' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}

function asText(value: WireValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatFloat(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return String(value);
}

/** Encodes one value as a CSV field for a column of the given neutral type. */
export function encodeField(value: WireValue, type: NeutralType): string {
  if (value === null || value === undefined) return '';
  switch (type) {
    case 'integer':
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'number' && Number.isInteger(value)) return Object.is(value, -0) ? '0' : String(value);
      if (typeof value === 'boolean') return value ? '1' : '0';
      if (typeof value === 'string' && /^[+-]?\d+$/.test(value)) return value;
      break;
    case 'float':
      if (typeof value === 'number') return formatFloat(value);
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'string') return quoteCsvText(value);
      break;
    case 'decimal':
      if (typeof value === 'number') return formatFloat(value);
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'string') return quoteCsvText(value);
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value ? 't' : 'f';
      if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0 ? 't' : 'f';
      if (typeof value === 'string') return quoteCsvText(value);
      break;
    case 'bytes':
      if (value instanceof Uint8Array) return hexBytes(value);
      if (typeof value === 'string') return hexBytes(Buffer.from(value, 'utf8'));
      break;
    default:
      return quoteCsvText(asText(value));
  }
  throw new HesapError('VALUE_UNREPRESENTABLE', `A ${typeof value} value cannot be written as ${type}.`);
}

/** Encodes a whole row (values in column order) as one CSV line, newline included. */
export function encodeRow(values: readonly WireValue[], types: readonly NeutralType[]): string {
  let line = '';
  for (let i = 0; i < types.length; i++) {
    if (i > 0) line += ',';
    line += encodeField(values[i], types[i]!);
  }
  return line + '\n';
}

/** The size chunks are coalesced to before they are written: large enough to amortise each write. */
export const CHUNK_BYTES = 64 * 1024;

/**
 * Collects encoded lines and hands them out as Buffers of about {@link CHUNK_BYTES}.
 * Strings are concatenated (cheap ropes in V8) and converted once per chunk.
 */
export class ChunkBuilder {
  private pending = '';
  private pendingRows = 0;

  constructor(private readonly chunkChars = CHUNK_BYTES) {}

  /** Adds a line; returns a full chunk when one is ready. */
  add(line: string): Buffer | undefined {
    this.pending += line;
    this.pendingRows++;
    return this.pending.length >= this.chunkChars ? this.take() : undefined;
  }

  /** Rows added since the last chunk was taken. */
  get rows(): number {
    return this.pendingRows;
  }

  /** Whatever is pending, or undefined when nothing is. */
  take(): Buffer | undefined {
    if (this.pending.length === 0) return undefined;
    const chunk = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    this.pendingRows = 0;
    return chunk;
  }
}
