import * as crypto from 'node:crypto';

/**
 * The digest of a short text. Node's one-shot `crypto.hash` (20.12 and later) is 1.7-2.6
 * times faster than a Hash object per row, which is what a checksum of millions of rows makes.
 */
type OneShotHash = (algorithm: string, data: string, outputEncoding: 'buffer') => Buffer;
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;
function digestOf(algorithm: 'md5' | 'sha256', text: string): Buffer {
  return oneShot ? oneShot(algorithm, text, 'buffer') : crypto.createHash(algorithm).update(text).digest();
}
import { formatFloat } from './csv/csv-encoder';
import { parseTimestampText, utcInstantText } from './datetime-text';
import { HesapError } from './errors';
import { Murmur3Utf8 } from './murmur3';
import type { CsvRow } from './csv/csv-parser';
import type { NeutralType } from './schema';

/**
 * Order-independent content checksums over canonical values. Two tables with the same
 * rows, in any order and whatever database holds them, give the same checksum; the
 * canonical form removes only differences of spelling (`2.50` and `2.5`, `t` and `true`,
 * `\xAB` and `\xab`), never of value.
 */

/**
 * The version of the canonical form below. Checksums of different versions cannot be
 * compared (a stored checksum, in a snapshot manifest, says which version made it).
 */
export const CONTENT_CHECKSUM_VERSION = 3;

/** The versions this hesap can compute, to check what an older one wrote: 2 (MD5 per row) and 3. */
export const CONTENT_CHECKSUM_VERSIONS: readonly number[] = [2, 3];

const NULL_MARK = '\u0000N';
const FIELD_SEP = '\u0000,';
const COMMA = 0x2c;
const NULL_LETTER = 0x4e;

/** The canonical text of one CSV field for a column of the given type. */
export function canonicalField(text: string | null, type: NeutralType): string {
  if (text === null) return NULL_MARK;
  switch (type) {
    case 'float':
      return formatFloat(Number(text));
    case 'decimal':
      return isPlainDecimal(text) ? text : canonicalDecimal(text);
    case 'boolean':
      return /^(t|true|1|y|yes|on)$/i.test(text.trim()) ? 't' : 'f';
    case 'bytes':
      // Hex digits: only ASCII letters change (as the byte-reading checksum does it).
      return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
    case 'integer': {
      // Only a text starting with `+`, `0` or `-0` can be spelled otherwise.
      const first = text.charCodeAt(0);
      if (first !== PLUS && first !== ZERO && !(first === MINUS && text.charCodeAt(1) === ZERO)) return text;
      return /^[+-]?0\d|^\+/.test(text) ? BigInt(text).toString() : text;
    }
    case 'timestamp':
    case 'timestamptz': {
      // The forms apps write (`T`, fraction digits, a zone) spell the same instant PostgreSQL
      // prints; a timestamptz is the instant in UTC, and text without a zone is read as UTC.
      const parts = parseTimestampText(text);
      if (parts) {
        if (type === 'timestamptz') return utcInstantText(parts) ?? trimmedFraction(text);
        const fraction = parts.fraction.replace(/0+$/, '');
        return `${parts.date} ${parts.clock}${fraction ? `.${fraction}` : ''}${parts.zone}`;
      }
      return trimmedFraction(text);
    }
    case 'time':
      return trimmedFraction(text);
    case 'uuid':
      // Capitals and hyphens are spelling: `A0EEBC99...` is `a0eebc99-...`.
      return UUID_SPELLINGS.test(text) ? canonicalUuid(text) : text;
    default:
      return text;
  }
}

/** `09.500` and `09.5` are the same instant; so are `09.000` and `09`. */
function trimmedFraction(text: string): string {
  return text.includes('.') ? text.replace(/(\.\d*?)0+(?=$|[-+Z])/, '$1').replace(/\.(?=$|[-+Z])/, '') : text;
}

const UUID_SPELLINGS = /^(?:[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$/;

function canonicalUuid(text: string): string {
  const h = text.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const POINT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Whether a decimal text is already in the form `canonicalDecimal` gives (the usual case:
 * `12.5`, `-0.75`, `300`), so the regular expression and the slicing can be skipped: an
 * optional `-`, digits without a leading zero (or a lone `0`), and an optional point with
 * digits that do not end in `0`; not `-0`.
 */
export function isPlainDecimal(text: string): boolean {
  const n = text.length;
  let i = text.charCodeAt(0) === MINUS ? 1 : 0;
  const first = i;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) break;
    i++;
  }
  const whole = i - first;
  if (whole === 0 || (whole > 1 && text.charCodeAt(first) === ZERO)) return false;
  if (i === n) return !(first === 1 && whole === 1 && text.charCodeAt(1) === ZERO);
  if (text.charCodeAt(i) !== POINT || i + 1 === n || text.charCodeAt(n - 1) === ZERO) return false;
  for (i++; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}

/**
 * A decimal in plain digits, exactly: `1.5e-07` and `0.00000015` are the same value,
 * `2.50` and `2.5` too; no digit is ever rounded (no conversion to a double).
 */
function canonicalDecimal(text: string): string {
  const t = text.trim();
  if (/^[+-]?(Infinity|inf)$/i.test(t) || t === 'NaN') return formatFloat(Number(t));
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return t;
  const negative = m[1] === '-';
  let digits = m[2]! + (m[3] ?? '');
  let point = m[2]!.length + Number(m[4] ?? 0);
  // Move the decimal point: pad with zeros on the side it leaves.
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  } else if (point > digits.length) {
    digits += '0'.repeat(point - digits.length);
  }
  let whole = digits.slice(0, point).replace(/^0+/, '');
  let fraction = digits.slice(point).replace(/0+$/, '');
  if (whole === '') whole = '0';
  const body = fraction ? `${whole}.${fraction}` : whole;
  return negative && body !== '0' ? `-${body}` : body;
}

/** The canonical text of a whole row. */
export function canonicalRow(row: CsvRow, types: readonly NeutralType[]): string {
  let out = '';
  for (let i = 0; i < types.length; i++) {
    if (i > 0) out += FIELD_SEP;
    out += canonicalField(row[i] ?? null, types[i]!);
  }
  return out;
}

/**
 * A running multiset checksum: the sum (lane-wise, modulo 2^32) of a 128-bit hash of each
 * row's canonical text (its UTF-8). Adding rows in any order gives the same result; a row
 * added twice counts twice. Version 3 hashes with MurmurHash3 x86_128 in JavaScript, fed
 * field by field; version 2 (snapshots made before it) with Node's MD5 of the joined text.
 */
export class ContentChecksum {
  private readonly lanes = new Uint32Array(4);
  private readonly murmur?: Murmur3Utf8;
  rows = 0;

  constructor(
    private readonly types: readonly NeutralType[],
    readonly version: number = CONTENT_CHECKSUM_VERSION,
  ) {
    if (!CONTENT_CHECKSUM_VERSIONS.includes(version)) {
      throw new HesapError('INTERNAL', `Content checksum version ${version} is not one this hesap computes (${CONTENT_CHECKSUM_VERSIONS.join(', ')}).`);
    }
    if (version === 3) this.murmur = new Murmur3Utf8();
  }

  add(row: CsvRow): void {
    const h = this.murmur;
    if (!h) {
      this.addCanonical(canonicalRow(row, this.types));
      return;
    }
    // The bytes of canonicalRow(row, types), without building that string.
    const types = this.types;
    for (let i = 0; i < types.length; i++) {
      if (i > 0) {
        h.byte(0);
        h.byte(COMMA);
      }
      const text = row[i];
      if (text === null || text === undefined) {
        h.byte(0);
        h.byte(NULL_LETTER);
      } else {
        h.text(canonicalField(text, types[i]!));
      }
    }
    h.finish(this.lanes, true);
    this.rows++;
  }

  /** Adds the row whose canonical bytes `hasher` holds (version 3), and starts the hasher over. */
  addHashed(hasher: Murmur3Utf8): void {
    if (!this.murmur) throw new HesapError('INTERNAL', `addHashed needs checksum version 3, not ${this.version}.`);
    hasher.finish(this.lanes, true);
    this.rows++;
  }

  /** Adds a row given as its canonical text (`canonicalRow`). */
  addCanonical(canonical: string): void {
    if (this.murmur) {
      this.murmur.text(canonical);
      this.murmur.finish(this.lanes, true);
    } else {
      const digest = digestOf('md5', canonical);
      for (let i = 0; i < 4; i++) this.lanes[i] = this.lanes[i]! + digest.readUInt32LE(i * 4);
    }
    this.rows++;
  }

  /** How many fields each row has. */
  get columns(): number {
    return this.types.length;
  }

  /** `rows:hex`, comparable across databases (for checksums of one version). */
  digest(): string {
    return `${this.rows}:${Array.from(this.lanes, (l) => l.toString(16).padStart(8, '0')).join('')}`;
  }
}

/** The SHA-256 of a row's canonical text; for finding which keys differ. */
export function rowDigest(row: CsvRow, types: readonly NeutralType[]): string {
  return digestOf('sha256', canonicalRow(row, types)).toString('base64');
}
