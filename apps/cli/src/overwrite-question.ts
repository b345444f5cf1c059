import type { PreviewResult, PreviewSide, PreviewTable } from '@hesap/api';
import { formatCount } from './output';

/** Tables named one by one in a question; the rest are in its totals. */
const NAMED_TABLES = 6;

const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

/**
 * A side as a question names it: `database shop on db.example.com` for a server (never its
 * password), a file by its path, anything else as its adapter describes it (masked);
 * `(target production)` when it was chosen by name.
 */
export function sideName(side: PreviewSide, target?: string): string {
  const name = side.host && side.database ? `database ${side.database} on ${side.host}` : side.location;
  return target ? `${name} (target ${target})` : name;
}

/** `users 3, groups 2, ...`: each table with its rows, the largest first, six at the most. */
export function tableCounts(tables: readonly PreviewTable[]): string {
  const largest = [...tables].sort((a, b) => b.rows - a.rows || (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
  const named = largest.slice(0, NAMED_TABLES).map((t) => `${t.table} ${formatCount(t.rows)}`);
  return largest.length > NAMED_TABLES ? `${named.join(', ')}, ...` : named.join(', ');
}

export interface OverwriteWords {
  /** The rows meet the rows there (a merge) instead of replacing them. */
  merge?: boolean;
  /** The rows come from the local file: `4,100 local rows`. */
  local?: boolean;
  /** Which side is the remote database, named `(target x)` when `target` chose it. */
  remote?: 'from' | 'to';
  /** The target's name in hesap.config.json, when one chose the remote. */
  target?: string;
}

/**
 * The question before an operation overwrites a database, with the facts read just before:
 * the database written to (host and database, or the file), the named target, the rows and
 * tables there that it replaces (per table and in all), and the rows that come instead.
 *
 * @example
 * // Replace 5,210 rows in 2 tables (orders 5,207, users 3) of database shop on db.example.com (target production)
 * // with 4,100 local rows?
 */
export function overwriteQuestion(found: PreviewResult, words: OverwriteWords): string {
  const to = sideName(found.to, words.remote === 'to' ? words.target : undefined);
  const from = found.snapshot ? `snapshot ${found.snapshot}` : sideName(found.from, words.remote === 'from' ? words.target : undefined);
  const n = found.incoming.rows;
  const incoming = words.local ? `${formatCount(n)} local ${n === 1 ? 'row' : 'rows'}` : `${plural(n, 'row')} from ${from}`;
  const existing = found.existing;
  if (!existing) return words.merge ? `Merge ${incoming} into ${to}?` : `Replace the content of the tables in ${to} with ${incoming}?`;
  if (existing.tables.length === 0) return `Load ${incoming} into ${to} (it has none of these tables yet: no rows there are replaced)?`;
  const there = `${plural(existing.rows, 'row')} in ${plural(existing.tables.length, 'table')} (${tableCounts(existing.tables)}) of ${to}`;
  return words.merge ? `Merge ${incoming} into the ${there}?` : `Replace ${there} with ${incoming}?`;
}
