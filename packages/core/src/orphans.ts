import type { SkippedRow } from './contract';
import { HesapError } from './errors';

/**
 * Rows whose foreign key does not hold: SQLite enforces foreign keys only when the app turns
 * them on, so real files hold children whose parent row is gone. What a push says about them,
 * in one place for every target.
 */

/** The rows that break one foreign key. */
export interface OrphanGroup {
  table: string;
  constraint: string;
  /** The table the key points at. */
  parent: string;
  count: number;
  /** The first of them: the row's key (`id=2`, when it has one) and the values that point nowhere (`creator_id=99`). */
  first: Array<{ row?: string; values: string }>;
}

/** How many rows of a group are named. */
export const ORPHANS_NAMED = 5;

/** `orders_creator_id_fkey on orders → users: 2 rows (id=2 (creator_id=99), …)`. */
export function describeOrphans(group: OrphanGroup): string {
  const more = group.count > group.first.length ? ', …' : '';
  const first = group.first.map((f) => (f.row ? `${f.row} (${f.values})` : f.values));
  return `"${group.constraint}" on ${group.table} → ${group.parent}: ${group.count} row${group.count === 1 ? '' : 's'} (first: ${first.join(', ')}${more})`;
}

/**
 * The rows a merge left out as orphans, grouped by the key they break (their descendants
 * counted apart). `parentOf` names the table a table's constraint points at.
 */
export function groupOrphans(skipped: readonly SkippedRow[], parentOf: (table: string, constraint: string) => string | undefined): { groups: OrphanGroup[]; below: number } {
  const groups = new Map<string, OrphanGroup>();
  let below = 0;
  for (const row of skipped) {
    if (row.orphan === 'parent-left-out') below++;
    if (row.orphan !== 'parent-missing') continue;
    const constraint = row.constraint ?? '(unnamed)';
    const id = `${row.table}\u0000${constraint}`;
    const parent = parentOf(row.table, constraint) ?? '?';
    const group = groups.get(id) ?? { table: row.table, constraint, parent, count: 0, first: [] };
    group.count++;
    if (group.first.length < ORPHANS_NAMED) group.first.push(row.targetKey ? { row: row.sourceKey, values: row.targetKey } : { values: row.sourceKey });
    groups.set(id, group);
  }
  return { groups: [...groups.values()], below };
}

/**
 * The refusal of a push whose rows break foreign keys the target checks: every key named,
 * with its count and first rows. Nothing was written (the caller rolls back).
 */
export function orphansRefused(groups: readonly OrphanGroup[], options: { below?: number; hints: string[] }): HesapError {
  const rows = groups.reduce((n, g) => n + g.count, 0);
  const below = options.below ? `, and ${options.below} row${options.below === 1 ? '' : 's'} under them` : '';
  return new HesapError(
    'CONSTRAINT_VIOLATION',
    `${rows} row${rows === 1 ? ' points at a parent row that exists' : 's point at parent rows that exist'} nowhere${below}; nothing was written. ${groups.map(describeOrphans).join('; ')}.`,
    { table: groups[0]?.table, constraint: groups[0]?.constraint, row: groups[0]?.first[0]?.row, hints: options.hints },
  );
}
