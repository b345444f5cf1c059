/**
 * Whether a decimal value (PostgreSQL `numeric` text) survives a SQLite column of numeric
 * affinity, which stores it as a 64-bit INTEGER or an IEEE double. SQLite converts such
 * text keeping 15 significant digits, so `numeric(20,2)` 99999999999999.99 would become
 * 100000000000000.0: hesap binds the value itself (an integer, or the double SQLite
 * prints back as the value), and a value neither holds exactly is refused.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Sign, significant digits without leading or trailing zeros, and the power of ten of the last digit. */
interface DecimalParts {
  negative: boolean;
  digits: string;
  exponent: number;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

function parts(text: string): DecimalParts | undefined {
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const fraction = m[3] ?? '';
  let digits = (m[2] + fraction).replace(/^0+/, '');
  let exponent = Number(m[4] ?? 0) - fraction.length;
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  if (digits === '') return { negative: false, digits: '', exponent: 0 };
  return { negative: m[1] === '-', digits, exponent };
}

/** Equal as numbers, whatever the form (`12.50` and `12.5`, `1e+21` and `1000000000000000000000`). */
export function sameDecimal(a: string, b: string): boolean {
  const x = parts(a);
  const y = parts(b);
  return x !== undefined && y !== undefined && x.negative === y.negative && x.digits === y.digits && x.exponent === y.exponent;
}

/** A plain decimal of up to 15 significant digits (16 for integers): SQLite's own conversion keeps it exactly. */
export function shortDecimal(text: string): boolean {
  return text.length <= 16 && /^-?\d+(\.\d+)?$/.test(text);
}

/** SQLite's own text for a double (`CAST(x AS TEXT)`): what a push or `db verify` reads back. */
export type RealPrinter = (value: number) => string;

/**
 * The number to bind for `text` so a column stores exactly that value: a bigint within 64
 * bits (not for REAL affinity, which would turn it into a double), or a double that SQLite
 * prints back as the same number; undefined when neither holds it, or when `text` is not
 * a decimal number at all (`NaN`, `Infinity`).
 */
export function exactNumber(text: string, affinity: 'INTEGER' | 'NUMERIC' | 'REAL' | 'BLOB', printReal: RealPrinter): bigint | number | undefined {
  const p = parts(text);
  if (!p) return undefined;
  if (p.digits === '') return 0;
  if (affinity !== 'REAL' && p.exponent >= 0 && p.digits.length + p.exponent <= 19) {
    const n = BigInt(p.digits + '0'.repeat(p.exponent)) * (p.negative ? -1n : 1n);
    if (n >= INT64_MIN && n <= INT64_MAX) return n;
  }
  // SQLite prints 15 significant digits when they read back to the same double, else 17:
  // 0.1234567890123456 is one double, but it comes back as 0.12345678901234559.
  const double = Number(text);
  return Number.isFinite(double) && sameDecimal(printReal(double), text) ? double : undefined;
}
