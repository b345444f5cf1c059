import { HesapError } from '../errors';

/**
 * Reading CSV field text back into JavaScript values. Targets choose the helpers
 * their driver needs; all of them are exact.
 */

const SAFE_DIGITS = 15;

/** An integer field as a number when it is safe, else as a BigInt. */
export function parseIntegerField(text: string): number | bigint {
  const digits = text.charCodeAt(0) === 45 /* - */ || text.charCodeAt(0) === 43 ? text.length - 1 : text.length;
  if (digits <= SAFE_DIGITS) {
    const n = Number(text);
    if (Number.isInteger(n)) return n;
  } else if (/^[+-]?\d+$/.test(text)) {
    return BigInt(text);
  }
  throw new HesapError('VALUE_UNREPRESENTABLE', `"${text}" is not an integer.`);
}

/** A float field (`Infinity`, `-Infinity`, `NaN` and `-0` included). */
export function parseFloatField(text: string): number {
  const n = Number(text);
  if (Number.isNaN(n) && text !== 'NaN') {
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
  if (text.startsWith('\\x')) {
    const hex = text.slice(2);
    if (hex.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(hex)) return Buffer.from(hex, 'hex');
  }
  throw new HesapError('VALUE_UNREPRESENTABLE', 'A bytes value is not in PostgreSQL hex form (\\x...).');
}
