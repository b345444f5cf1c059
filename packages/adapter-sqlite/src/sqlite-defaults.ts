import type { ColumnDefault } from '@hesap/core';

/**
 * Column defaults between SQLite's SQL text and the neutral form. Literals and the
 * usual "current time" spellings translate; anything else stays a SQLite expression,
 * which other dialects drop with a note (and SQLite restores verbatim).
 */

function unquote(text: string, quote: string): string {
  return text.slice(1, -1).split(quote + quote).join(quote);
}

function stripParens(text: string): string {
  let t = text.trim();
  while (t.startsWith('(') && t.endsWith(')')) t = t.slice(1, -1).trim();
  return t;
}

/** Reads `PRAGMA table_info(...).dflt_value`. */
export function parseSqliteDefault(text: string | null): ColumnDefault | undefined {
  if (text === null) return undefined;
  const t = stripParens(text);
  // Case and spaces matter only outside quotes ('%M' is minutes, '%m' the month), except
  // for the time value 'now' and its modifiers, which SQLite reads in any case.
  const lower = t.replace(/('(?:[^']|'')*')|([^']+)/g, (_m, quoted: string | undefined, bare: string | undefined) =>
    quoted !== undefined ? (/^'(now|localtime|utc)'$/i.test(quoted) ? quoted.toLowerCase() : quoted) : bare!.toLowerCase().replace(/\s+/g, ''),
  );
  if (lower === 'null') return { kind: 'null' };
  if (/^[+-]?\d+$/.test(t)) {
    const n = BigInt(t);
    return { kind: 'literal', value: n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n };
  }
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(t)) return { kind: 'literal', value: Number(t) };
  if (/^'(?:[^']|'')*'$/s.test(t)) return { kind: 'literal', value: unquote(t, "'") };
  // SQLite reads a double-quoted default as a string when it names no column.
  if (/^"(?:[^"]|"")*"$/s.test(t)) return { kind: 'literal', value: unquote(t, '"') };
  if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true' ? 1 : 0 };
  if (lower === 'current_timestamp' || lower === "datetime('now')" || lower === "strftime('%Y-%m-%d %H:%M:%S','now')") {
    return { kind: 'now', precision: 0 };
  }
  if (lower === "strftime('%Y-%m-%d %H:%M:%f','now')") return { kind: 'now', precision: 3 };
  if (lower === "datetime('now','localtime')") return { kind: 'now', precision: 0, local: true };
  if (lower === 'current_date' || lower === "date('now')") return { kind: 'today' };
  if (lower === "date('now','localtime')") return { kind: 'today', local: true };
  return { kind: 'expression', dialect: 'sqlite', sql: text };
}

/** A text as an SQLite string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Writes a neutral default as SQLite SQL, or undefined when SQLite has no equivalent. */
export function formatSqliteDefault(value: ColumnDefault): string | undefined {
  switch (value.kind) {
    case 'null':
      return 'NULL';
    case 'literal':
      if (typeof value.value === 'string') return quoteLiteral(value.value);
      if (typeof value.value === 'boolean') return value.value ? '1' : '0';
      if (typeof value.value === 'number' && Number.isNaN(value.value)) return undefined;
      if (typeof value.value === 'number' && !Number.isFinite(value.value)) return value.value > 0 ? '9e999' : '-9e999';
      return String(value.value);
    case 'now':
      if (value.local) return "(datetime('now', 'localtime'))";
      return value.precision === 0 ? 'CURRENT_TIMESTAMP' : "(strftime('%Y-%m-%d %H:%M:%f', 'now'))";
    case 'today':
      return value.local ? "(date('now', 'localtime'))" : 'CURRENT_DATE';
    case 'expression':
      return value.dialect === 'sqlite' ? value.sql : undefined;
  }
}
