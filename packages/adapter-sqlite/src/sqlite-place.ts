import { placedName, type TablePlace } from '@hesap/core';
import { tokenize } from './sqlite-create-table';

/**
 * A table's place (see TablePlace) written down in the local file: a comment at the start of
 * its column list, which SQLite keeps in the declaration (`sqlite_schema.sql`, shown by
 * `.schema`) through ALTER TABLE … ADD, RENAME and DROP COLUMN:
 *
 *   CREATE TABLE "audit.events" ( -- hesap place: {"schema":"audit","table":"events"}
 *     "id" INTEGER PRIMARY KEY, …
 *
 * It is what tells a table pulled from the schema `audit` from a table that is merely named
 * with a dot. A table renamed since (its name no longer `schema.table`) has no place.
 */
const MARK = ' -- hesap place: ';

/** The comment that records `place`, to follow the column list's opening parenthesis (none without a place). */
export function placeComment(place: TablePlace | undefined): string {
  // JSON escapes every line break, so the comment ends at the newline that follows it.
  return place ? `${MARK}${JSON.stringify({ schema: place.schema, table: place.table })}` : '';
}

/** The place recorded in the declaration of the table `name`, when there is one and it still fits the name. */
export function readPlace(name: string, sql: string): TablePlace | undefined {
  const record = recorded(sql);
  if (!record) return undefined;
  try {
    const value = JSON.parse(record.json) as Partial<TablePlace>;
    if (typeof value.schema !== 'string' || typeof value.table !== 'string') return undefined;
    const place = { schema: value.schema, table: value.table };
    return placedName(place) === name ? place : undefined;
  } catch {
    return undefined;
  }
}

/** The CREATE TABLE statement `sql` recording `place` (or no place), the rest of it as it was. */
export function withPlace(sql: string, place: TablePlace | undefined): string {
  const record = recorded(sql);
  const open = record?.start ?? columnListStart(sql);
  if (open === undefined) return sql;
  const rest = record ? sql.slice(record.end) : `${place ? '\n' : ''}${sql.slice(open)}`;
  return sql.slice(0, open) + placeComment(place) + rest;
}

/** Where the record is in the declaration (from just after the parenthesis to the end of its line), and its JSON. */
function recorded(sql: string): { start: number; end: number; json: string } | undefined {
  const start = columnListStart(sql);
  if (start === undefined || !sql.startsWith(MARK, start)) return undefined;
  const newline = sql.indexOf('\n', start);
  const end = newline < 0 ? sql.length : newline;
  return { start, end, json: sql.slice(start + MARK.length, end) };
}

/** Just after the parenthesis that opens a CREATE TABLE's column list: the first outside names and comments. */
function columnListStart(sql: string): number | undefined {
  return tokenize(sql).find((t) => t.kind === 'op' && t.value === '(')?.end;
}
