import { HesapError } from '@hesap/core';

/**
 * The only functions in this adapter that turn a name or a DDL literal into SQL text.
 * Values never go through here: they travel as parameters of the driver.
 */

/**
 * Quotes an identifier with backticks, doubling any backtick inside. MySQL refuses
 * NUL in names, so it is refused here with a clear error instead.
 *
 * @example
 * quoteMysqlIdent('order');    // '`order`'
 * quoteMysqlIdent('we`ird');   // '`we``ird`'
 */
export function quoteMysqlIdent(name: string): string {
  if (name.length === 0) throw new HesapError('IDENTIFIER_INVALID', 'An empty name cannot be used as a MySQL identifier.');
  if (name.includes('\u0000')) throw new HesapError('IDENTIFIER_INVALID', `The name ${JSON.stringify(name)} contains a NUL character.`);
  return `\`${name.replace(/`/g, '``')}\``;
}

/**
 * A string literal for DDL (defaults and comments cannot be parameters). The session
 * runs without NO_BACKSLASH_ESCAPES, so backslashes are escaped as well as quotes.
 */
export function mysqlLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\u0000/g, '\\0')}'`;
}
