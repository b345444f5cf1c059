import type { CheckExpression } from './check-expression';
import { DEFAULT_CAPABILITIES, DEFAULT_POLICIES, type AdapterCapabilities } from './contract';
import { fitIdentifiers, nameConstraints, planLoad } from './planner';
import { describeCheck } from './table-checks';
import type { CheckConstraint, Column, Table } from './schema';

const col = (name: string): Column => ({ name, type: 'integer', declaredType: 'INTEGER', nullable: true });
const positive = (column: string): CheckExpression => ({ kind: 'compare', op: '>', left: { kind: 'column', name: column }, right: { kind: 'number', text: '0' } });

function table(name: string, checks: CheckConstraint[], extra: Partial<Table> = {}): Table {
  return { name, columns: [col('id'), col('qty'), col('total')], primaryKey: { columns: ['id'] }, uniques: [], foreignKeys: [], indexes: [], checks, ...extra };
}

const PG: AdapterCapabilities = { ...DEFAULT_CAPABILITIES, target: true, maxIdentifierBytes: 63, createsChecks: true };
const SQLITE: AdapterCapabilities = { ...DEFAULT_CAPABILITIES, target: true };
const SNAPSHOT: AdapterCapabilities = { ...DEFAULT_CAPABILITIES, target: true, keepsSchema: true };

describe('CHECK constraint names', () => {
  it('are given as PostgreSQL would: the one column the condition reads, else the table; each name once among the constraints of the table', () => {
    const named = nameConstraints(
      table('orders', [
        { sql: 'qty > 0', expression: positive('qty') },
        { sql: 'qty > 0 AND total > 0', expression: { kind: 'and', terms: [positive('qty'), positive('total')] } },
        { sql: 'JSON_VALID(data)', column: 'total', untranslated: 'it uses JSON_VALID()' },
        { sql: 'lower(x)', untranslated: 'it uses lower()' },
        { name: 'orders_pkey', sql: 'qty > 0', expression: positive('qty') },
        { name: 'mine', sql: 'qty > 0', expression: positive('qty') },
        { name: 'mine', sql: 'total > 0', expression: positive('total') },
      ]),
    );
    expect(named.checks!.map((c) => c.name)).toEqual(['orders_qty_check', 'orders_check', 'orders_total_check', 'orders_check1', 'orders_pkey1', 'mine', 'mine1']);
  });

  it('follow shortened column names into the condition, and are cut to the limit themselves', () => {
    const long = `${'q'.repeat(70)}`;
    const { tables } = fitIdentifiers([table('t', [{ sql: `${long} > 0`, expression: positive(long) }], { columns: [col('id'), col(long)] })], PG, {
      ...DEFAULT_POLICIES,
      longNames: 'shorten',
    });
    const short = tables[0]!.columns[1]!.name;
    expect(short).not.toBe(long);
    expect(tables[0]!.checks![0]!.expression).toEqual(positive(short));
    expect(Buffer.byteLength(tables[0]!.checks![0]!.name!)).toBeLessThanOrEqual(63);
  });
});

describe('what a plan says about CHECKs and triggers', () => {
  const source = table('orders', [{ sql: 'qty > 0', expression: positive('qty') }], { triggers: [{ name: 'orders_touch' }] });
  const plan = (capabilities: AdapterCapabilities, existing: Table[] = []) =>
    planLoad({
      source: { dialect: 'sqlite', tables: [source], views: [], notes: [] },
      target: { dialect: 'x', tables: existing, views: [], notes: [] },
      tables: [source],
      mode: 'replace',
      capabilities,
      policies: DEFAULT_POLICIES,
    }).notes.map((n) => [n.code, n.table, n.constraint ?? n.trigger]);

  it('lists every trigger of a created table, and its CHECKs where the target does not create them', () => {
    expect(plan(PG)).toEqual([['TRIGGER_NOT_COPIED', 'orders', 'orders_touch']]);
    expect(plan(SQLITE)).toEqual([
      ['TRIGGER_NOT_COPIED', 'orders', 'orders_touch'],
      ['CHECK_NOT_CREATED', 'orders', 'orders_qty_check'],
    ]);
  });

  it('says nothing for a target that keeps the schema as it is, or for a table that exists', () => {
    expect(plan(SNAPSHOT)).toEqual([]);
    expect(plan(SQLITE, [table('orders', [])])).toEqual([]);
  });
});

describe('describeCheck', () => {
  it('shows the SQL on one line, a long one cut', () => {
    expect(describeCheck({ name: 'c', sql: 'a > 0\n  AND b > 0' })).toBe('CHECK constraint "c" (a > 0 AND b > 0)');
    const long = describeCheck({ name: 'c', sql: `a IN (${Array.from({ length: 100 }, (_, i) => i).join(', ')})` });
    expect(long.length).toBeLessThan(200);
    expect(long.endsWith('…)')).toBe(true);
  });
});
