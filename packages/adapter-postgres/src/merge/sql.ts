import { quoteIdent, type Table } from '@hesap/core';
import { quoteLiteral } from '../postgres-types';

/** SQL pieces every merge step builds its statements from. */

export function cols(alias: string, names: readonly string[]): string[] {
  return names.map((n) => `${alias}.${quoteIdent(n)}`);
}

export function tuple(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : `(${parts.join(', ')})`;
}

export function equal(a: readonly string[], b: readonly string[]): string {
  return a.map((x, i) => `${x} = ${b[i]}`).join(' AND ');
}

export function allNotNull(parts: readonly string[]): string {
  return parts.map((p) => `${p} IS NOT NULL`).join(' AND ');
}

export function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/** The digest of a row's text: a short key to sort and join on. Every type has a text form, not every type has `=`. */
export function rowDigest(parts: readonly string[]): string {
  return `md5(ROW(${parts.map((p) => `${p}::text`).join(', ')})::text)`;
}

/** `col=value, col=value` for a key, as SQL text. */
export function keyText(alias: string, columns: readonly string[]): string {
  return columns.map((c, i) => `${i > 0 ? `', ' || ` : ''}${quoteLiteral(c)} || '=' || coalesce(${alias}.${quoteIdent(c)}::text, 'NULL')`).join(' || ');
}

/**
 * `a` and `b` hold the same values in these columns (NULL equal to NULL). Columns
 * without an equality operator (json) are compared as text.
 */
export function sameValues(table: Table, a: string, b: string, columns: readonly string[]): string {
  if (columns.length === 0) return 'true';
  return columns
    .map((c) => {
      const json = table.columns.find((x) => x.name === c)?.type === 'json';
      const [x, y] = [`${a}.${quoteIdent(c)}`, `${b}.${quoteIdent(c)}`];
      return json ? `${x}::text IS NOT DISTINCT FROM ${y}::text` : `${x} IS NOT DISTINCT FROM ${y}`;
    })
    .join(' AND ');
}

/**
 * Statistics for a temporary table (autovacuum never analyses them; without statistics the
 * planner guesses a handful of rows and picks nested loops over millions). A small sample
 * (3 000 rows instead of 30 000) is enough to choose joins, and ten times faster.
 */
export function analyzeSql(table: string): string[] {
  return ['SET LOCAL default_statistics_target = 10', `ANALYZE ${table}`, 'RESET default_statistics_target'];
}

export { quoteLiteral };
