import { HesapError } from '../errors';

/**
 * Reading CSV field text back into JavaScript values. Targets choose the helpers
 * their driver needs; all of them are exact.
 */

const SAFE_DIGITS = 15;
const INTEGER = /^[+-]?\d+$/;

/** An integer field: a number up to 15 digits (always safe), a BigInt beyond. Anything but digits is refused. */
export function parseIntegerField(text: string): number | bigint {
  if (!INTEGER.test(text)) throw new HesapError('VALUE_UNREPRESENTABLE', `"${text}" is not an integer.`);
  const sign = text.charCodeAt(0) === 45 /* - */ || text.charCodeAt(0) === 43 /* + */ ? 1 : 0;
  return text.length - sign <= SAFE_DIGITS ? Number(text) : BigInt(text);
}

/** A float field (`Infinity`, `-Infinity`, `NaN` and `-0` included). An empty field is refused. */
export function parseFloatField(text: string): number {
  const n = Number(text);
  if ((Number.isNaN(n) && text !== 'NaN') || text.trim() === '') {
    throw new HesapError('VALUE_UNREPRESENTABLE', `"${text}" is not a number.`);
  }
  return n;
}

/** A boolean field in any spelling PostgreSQL accepts as input (`t`, `true`, `yes`, `on`, `1`, ...). */
export function parseBooleanField(text: string): boolean {
  switch (text.trim().toLowerCase()) {
    case 't':
    case 'true':
    case 'y':
    case 'yes':
    case 'on':
    case '1':
      return true;
    case 'f':
    case 'false':
    case 'n':
    case 'no':
    case 'off':
    case '0':
      return false;
    default:
      throw new HesapError('VALUE_UNREPRESENTABLE', `"${text}" is not a boolean.`);
  }
}

/** A bytea field in hex form (`\x0102`). */
export function parseBytesField(text: string): Buffer {
  if (text.startsWith('\\x') && text.length % 2 === 0) {
    // Buffer.from stops at the first character that is not hex: a short result means a bad one.
    const bytes = Buffer.from(text.slice(2), 'hex');
    if (bytes.length * 2 === text.length - 2) return bytes;
  }
  throw new HesapError('VALUE_UNREPRESENTABLE', 'A bytes value is not in PostgreSQL hex form (\\x...).');
}
