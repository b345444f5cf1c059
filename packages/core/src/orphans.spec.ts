import type { SkippedRow } from './contract';
import { describeOrphans, groupOrphans, orphansRefused, ORPHANS_NAMED } from './orphans';

function orphan(table: string, id: number, constraint: string, kind: SkippedRow['orphan'], value = `x=${id}`): SkippedRow {
  return { table, reason: 'its parent row does not exist', constraint, sourceKey: `id=${id}`, targetKey: value, orphan: kind };
}

describe('orphans', () => {
  const parents: Record<string, string> = { 'orders\u0000orders_user_fkey': 'users', 'orders\u0000orders_group_fkey': 'groups' };
  const parentOf = (table: string, constraint: string) => parents[`${table}\u0000${constraint}`];

  it('groups the rows that point nowhere by key, counting their descendants and other skipped rows apart', () => {
    const skipped: SkippedRow[] = [
      ...Array.from({ length: ORPHANS_NAMED + 2 }, (_, i) => orphan('orders', i + 1, 'orders_user_fkey', 'parent-missing', `user_id=${90 + i}`)),
      orphan('orders', 50, 'orders_group_fkey', 'parent-missing', 'group_id=7'),
      orphan('items', 3, 'items_order_fkey', 'parent-left-out'),
      { table: 'users', reason: 'it collides', sourceKey: 'id=4' },
    ];
    const { groups, below } = groupOrphans(skipped, parentOf);
    expect(below).toBe(1);
    expect(groups.map((g) => [g.table, g.constraint, g.parent, g.count, g.first.length])).toEqual([
      ['orders', 'orders_user_fkey', 'users', ORPHANS_NAMED + 2, ORPHANS_NAMED],
      ['orders', 'orders_group_fkey', 'groups', 1, 1],
    ]);
    expect(describeOrphans(groups[1]!)).toBe('"orders_group_fkey" on orders → groups: 1 row (first: id=50 (group_id=7))');
    expect(describeOrphans(groups[0]!)).toMatch(/: 7 rows \(first: id=1 \(user_id=90\), .*id=5 \(user_id=94\), …\)$/);
  });

  it('refuses naming every key, the first row, and the rows under them', () => {
    const { groups, below } = groupOrphans([orphan('orders', 2, 'orders_user_fkey', 'parent-missing'), orphan('orders', 3, 'orders_group_fkey', 'parent-missing')], parentOf);
    const error = orphansRefused(groups, { below: below + 2, hints: ['fix it'] });
    expect(error).toMatchObject({ code: 'CONSTRAINT_VIOLATION', table: 'orders', constraint: 'orders_user_fkey', row: 'id=2', hints: ['fix it'] });
    expect(error.message).toMatch(/^2 rows point at parent rows that exist nowhere, and 2 rows under them; nothing was written\. .*orders_user_fkey.*; .*orders_group_fkey/);
  });
});
