import { quoteIdent, type Column } from '@hesap/core';
import { epochField } from './sqlite-epoch';

/**
 * SQL that makes SQLite write PostgreSQL CSV itself. The per-value work (number to
 * text, quoting, hex) runs in SQLite's C code; JavaScript only hands over whole
 * batches. Every expression is exact:
 *
 * - integers: SQLite's own decimal text;
 * - floats: SQLite's own real-to-text conversion, which since 3.4x prints the digits that
 *   read back to the same double (checked against a million random doubles in the
 *   tests; `printf('%.17g')` is *not* exact in SQLite), `-0` kept via the sign of
 *   atan2, infinities spelled for PostgreSQL;
 * - text: always quoted, quotes doubled;
 * - blobs: `\x` and hex (in capitals: `lower()` would cost a push 0.15-0.2 s of CPU on the
 *   benchmark's orders; the content checksum lowers them natively).
 */

/** The name of the SQL function that repairs text (invalid UTF-8, NUL) when the policy allows it. */
export const REPAIR_TEXT_FUNCTION = 'hesap_repair_text';

export function floatText(q: string): string {
  return (
    `CASE WHEN ${q} = 0 THEN CASE WHEN atan2(${q}, -1) < 0 THEN '-0' ELSE '0' END` +
    ` WHEN ${q} = 9e999 THEN 'Infinity' WHEN ${q} = -9e999 THEN '-Infinity'` +
    ` ELSE CAST(${q} AS TEXT) END`
  );
}

function quotedText(value: string): string {
  return `'"' || replace(${value}, '"', '""') || '"'`;
}

/** Columns whose values are written as quoted text (the ones that can hold bad text). */
export function isQuotedText(column: Column): boolean {
  return !['integer', 'float', 'decimal', 'boolean', 'bytes'].includes(column.type);
}

/** The CSV field for one column, as a SQL expression over the table's row. */
export function fieldExpression(column: Column, repairText: boolean): string {
  // Epoch integers the user mapped to dates are read as the instants they name (sqlite-epoch.ts).
  if (column.epoch) return epochField(column, fieldExpression({ ...column, type: 'text', epoch: undefined }, repairText));
  const q = quoteIdent(column.name);
  switch (column.type) {
    case 'integer':
      return `ifnull(${q}, '')`;
    case 'boolean':
      return `CASE ${q} WHEN 1 THEN 't' WHEN 0 THEN 'f' ELSE '' END`;
    case 'float':
    case 'decimal':
      return `CASE typeof(${q}) WHEN 'integer' THEN ${q} WHEN 'real' THEN ${floatText(q)} ELSE '' END`;
    case 'bytes':
      return `CASE WHEN ${q} IS NULL THEN '' ELSE '\\x' || hex(${q}) END`;
    default: {
      const text = repairText ? `${REPAIR_TEXT_FUNCTION}(${q})` : q;
      return `CASE typeof(${q}) WHEN 'null' THEN '' WHEN 'real' THEN '"' || ${floatText(q)} || '"' ELSE ${quotedText(text)} END`;
    }
  }
}

/** Arguments per concat_ws() call: SQLite allows 1000, and deep `||` chains hit its expression depth limit. */
const CONCAT_ARGS = 500;

/** One CSV line (newline included) for a row, as a SQL expression. */
export function lineExpression(columns: readonly Column[], repair: ReadonlySet<string>): string {
  if (columns.length === 0) return 'char(10)';
  let parts = columns.map((c) => fieldExpression(c, repair.has(c.name)));
  // Fields are never NULL (NULL is written as ''), so concat_ws joins them all.
  while (parts.length > 1) {
    const groups: string[] = [];
    for (let i = 0; i < parts.length; i += CONCAT_ARGS) {
      const group = parts.slice(i, i + CONCAT_ARGS);
      groups.push(group.length === 1 ? group[0]! : `concat_ws(',', ${group.join(', ')})`);
    }
    parts = groups;
  }
  return `${parts[0]} || char(10)`;
}
