import { quoteIdent, zoneOffsetMinutes, type Column, type DateTimeTextForm } from '@hesap/core';
import { quoteLiteral } from './postgres-types';

/**
 * Reading date-time columns back in the form their values were written in (Column.textForm,
 * recorded in the column comment when push made the table): PostgreSQL prints its own form
 * (`2024-01-02 03:04:05.6789+00`), so the column is read through `to_char` into the recorded
 * one (`2024-01-02T05:04:05.678900+02:00`). A value the form cannot spell (infinity, a year
 * past 9999 or before 1) is read as PostgreSQL prints it.
 */

/** The form a column's values are read in: recorded, or the three-digit form older comments name by `fractionDigits`. */
export function readForm(column: Column): DateTimeTextForm | undefined {
  if (column.type !== 'timestamp' && column.type !== 'timestamptz' && column.type !== 'time') return undefined;
  if (column.textForm) return column.textForm;
  if (column.fractionDigits !== undefined && column.type === 'timestamp') return { kind: 'timestamp', separator: ' ', fraction: column.fractionDigits, zone: '' };
  return undefined;
}

/** `+02:00` for a zone of 120 minutes east. */
function isoOffset(minutes: number): string {
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** The fraction as the form writes it, from six digits `us` (trailing zeros added or dropped, never a digit lost). */
function fractionSql(us: string, fraction: DateTimeTextForm['fraction']): string {
  const trimmed = `rtrim(${us}, '0')`;
  if (fraction === 'python') return `CASE WHEN ${us} = '000000' THEN '' ELSE '.' || ${us} END`;
  if (fraction === 'shortest' || fraction === 0) return `CASE WHEN ${trimmed} = '' THEN '' ELSE '.' || ${trimmed} END`;
  return `'.' || CASE WHEN length(${trimmed}) <= ${fraction} THEN substr(${us}, 1, ${fraction}) ELSE ${trimmed} END`;
}

/** The SQL expression that reads `column` as text in `form`. */
export function formExpression(column: Column, form: DateTimeTextForm): string {
  const v = quoteIdent(column.name);
  let local: string;
  let head: string;
  let inRange: string;
  if (form.kind === 'time') {
    // to_char takes timestamps: the time of day on any date. 24:00:00 is read as printed.
    local = `(DATE '2000-01-01' + ${v})`;
    head = 'HH24:MI:SS';
    inRange = `${v} < '24:00:00'`;
  } else {
    const offset = isoOffset(zoneOffsetMinutes(form.zone) ?? 0);
    local = column.type === 'timestamptz' ? `(${v} AT TIME ZONE INTERVAL ${quoteLiteral(offset)})` : v;
    head = form.separator === 'T' ? 'YYYY-MM-DD"T"HH24:MI:SS' : 'YYYY-MM-DD HH24:MI:SS';
    inRange = `isfinite(${v}) AND ${local} >= '0001-01-01' AND ${local} < '10000-01-01'`;
  }
  const us = `to_char(${local}, 'US')`;
  const text = `to_char(${local}, '${head}') || ${fractionSql(us, form.fraction)}${form.zone ? ` || ${quoteLiteral(form.zone)}` : ''}`;
  return `CASE WHEN ${inRange} THEN ${text} ELSE ${v}::text END`;
}

/** The select list that reads a table's columns, each in its recorded form; undefined when none has one. */
export function formSelectList(columns: readonly Column[]): string | undefined {
  if (!columns.some((c) => readForm(c))) return undefined;
  return columns
    .map((c) => {
      const form = readForm(c);
      return form ? `${formExpression(c, form)} AS ${quoteIdent(c.name)}` : quoteIdent(c.name);
    })
    .join(', ');
}
