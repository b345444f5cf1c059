import * as fc from 'fast-check';
import { DEFAULT_CAPABILITIES, DEFAULT_POLICIES, type AdapterCapabilities, type DataPolicies } from './contract';
import { HesapError } from './errors';
import { checkCompatible, describeType, fitIdentifiers, nameConstraints, naturalKeyOf, orderTables, planLoad, selectTables } from './planner';
import type { Column, ForeignKey, NeutralType, Schema, Table } from './schema';

// ---- fixtures -------------------------------------------------------------------------

function col(name: string, type: NeutralType = 'integer', extra: Partial<Column> = {}): Column {
  return { name, type, declaredType: type.toUpperCase(), nullable: true, ...extra };
}

function fk(columns: string[], table: string, refColumns: string[] = ['id'], name?: string): ForeignKey {
  return { name, columns, references: { table, columns: refColumns }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION' };
}

function tbl(name: string, extra: Partial<Table> = {}): Table {
  return { name, columns: [col('id')], primaryKey: { columns: ['id'] }, uniques: [], foreignKeys: [], indexes: [], ...extra };
}

function schema(tables: Table[], views: string[] = []): Schema {
  return { dialect: 'test', tables, views: views.map((name) => ({ name })), notes: [] };
}

const PG: AdapterCapabilities = { ...DEFAULT_CAPABILITIES, target: true, maxIdentifierBytes: 63, mergeModes: ['merge', 'upsert'] };
const SHORTEN: DataPolicies = { ...DEFAULT_POLICIES, longNames: 'shorten' };
const names = (tables: readonly Table[]) => tables.map((t) => t.name);
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function errorOf(fn: () => unknown): HesapError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HesapError);
    return error as HesapError;
  }
  throw new Error('expected a HesapError, but nothing was thrown');
}

// ---- selectTables ---------------------------------------------------------------------

describe('selectTables', () => {
  const source = schema([tbl('users'), tbl('orders'), tbl('items')], ['active_users']);

  it('selects every table, in schema order, when nothing is named', () => {
    expect(names(selectTables(source))).toEqual(['users', 'orders', 'items']);
    expect(names(selectTables(source, []))).toEqual(['users', 'orders', 'items']);
  });

  it('selects only the included tables, in schema order', () => {
    expect(names(selectTables(source, ['items', 'users']))).toEqual(['users', 'items']);
  });

  it('leaves out the excluded tables', () => {
    expect(names(selectTables(source, undefined, ['orders']))).toEqual(['users', 'items']);
    expect(names(selectTables(source, ['users', 'orders'], ['orders']))).toEqual(['users']);
  });

  it('refuses an unknown name with TABLE_MISSING, listing the tables there are', () => {
    const error = errorOf(() => selectTables(source, ['nope']));
    expect(error.code).toBe('TABLE_MISSING');
    expect(error.table).toBe('nope');
    expect(error.message).toBe('There is no table "nope" in the source.');
    expect(error.hints).toEqual(['Tables in the source: users, orders, items.']);
  });

  it('takes an excluded name the source lacks as nothing to leave out (checkTableNames refuses names on no side)', () => {
    expect(names(selectTables(source, undefined, ['Users', 'orders']))).toEqual(['users', 'items']);
  });

  it('says so when the name is a view', () => {
    const error = errorOf(() => selectTables(source, ['active_users']));
    expect(error.code).toBe('TABLE_MISSING');
    expect(error.message).toContain('is a view');
  });

  it('says (none) when the source has no tables', () => {
    expect(errorOf(() => selectTables(schema([]), ['x'])).hints).toEqual(['Tables in the source: (none).']);
  });
});

// ---- orderTables ----------------------------------------------------------------------

describe('orderTables', () => {
  it('puts parents before children, and otherwise goes by name', () => {
    const tables = [
      tbl('order_items', { foreignKeys: [fk(['order_id'], 'orders'), fk(['product_id'], 'products')] }),
      tbl('orders', { foreignKeys: [fk(['user_id'], 'users')] }),
      tbl('users'),
      tbl('products'),
      tbl('audit'),
    ];
    const { order, cyclic } = orderTables(tables);
    expect(names(order)).toEqual(['audit', 'products', 'users', 'orders', 'order_items']);
    expect(cyclic).toEqual([]);
  });

  it('ignores foreign keys to tables outside the set', () => {
    const { order, cyclic } = orderTables([tbl('b', { foreignKeys: [fk(['x'], 'elsewhere')] }), tbl('a')]);
    expect(names(order)).toEqual(['a', 'b']);
    expect(cyclic).toEqual([]);
  });

  it('reports a self-reference in cyclic and still orders the table', () => {
    const self = fk(['parent_id'], 'categories');
    const { order, cyclic } = orderTables([tbl('products', { foreignKeys: [fk(['category_id'], 'categories')] }), tbl('categories', { foreignKeys: [self] })]);
    expect(names(order)).toEqual(['categories', 'products']);
    expect(cyclic).toEqual([{ table: 'categories', foreignKey: self }]);
  });

  it('breaks a cycle and reports the foreign key that closes it', () => {
    const aToB = fk(['b_id'], 'b');
    const bToA = fk(['a_id'], 'a');
    const { order, cyclic } = orderTables([tbl('c', { foreignKeys: [fk(['a_id'], 'a')] }), tbl('b', { foreignKeys: [bToA] }), tbl('a', { foreignKeys: [aToB] })]);
    expect(names(order)).toEqual(['a', 'b', 'c']);
    expect(cyclic).toEqual([{ table: 'a', foreignKey: aToB }]);
  });

  it('places the parents of a cycle before the cycle', () => {
    const { order, cyclic } = orderTables([
      tbl('x', { foreignKeys: [fk(['y_id'], 'y'), fk(['root_id'], 'root')] }),
      tbl('y', { foreignKeys: [fk(['x_id'], 'x')] }),
      tbl('root'),
    ]);
    expect(names(order)[0]).toBe('root');
    expect(names(order)).toEqual(['root', 'x', 'y']);
    expect(cyclic.map((c) => [c.table, c.foreignKey.references.table])).toEqual([['x', 'y']]);
  });

  it('returns an empty order for no tables', () => {
    expect(orderTables([])).toEqual({ order: [], cyclic: [] });
  });

  // Random graphs: any table may point at any table (itself included).
  const graph = fc.integer({ min: 1, max: 8 }).chain((n) =>
    fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })), { maxLength: 16 })),
  );

  function build([n, edges]: [number, Array<[number, number]>]): Table[] {
    return Array.from({ length: n }, (_, i) =>
      tbl(`t${i}`, { foreignKeys: edges.filter(([from]) => from === i).map(([, to], k) => fk([`c${k}`], `t${to}`)) }),
    );
  }

  it('orders every table exactly once, and every foreign key not in cyclic points backwards', () => {
    fc.assert(
      fc.property(graph, (g) => {
        const tables = build(g);
        const { order, cyclic } = orderTables(tables);
        expect([...names(order)].sort()).toEqual([...names(tables)].sort());
        const position = new Map(order.map((t, i) => [t.name, i]));
        for (const t of tables) {
          for (const key of t.foreignKeys) {
            const isCyclic = cyclic.some((c) => c.table === t.name && c.foreignKey === key);
            expect(isCyclic).toBe(position.get(key.references.table)! >= position.get(t.name)!);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reports nothing as cyclic for a graph without cycles', () => {
    fc.assert(
      fc.property(graph, ([n, edges]) => {
        // Keep only edges from a higher to a lower index: no cycle possible.
        const { cyclic } = orderTables(build([n, edges.filter(([from, to]) => from > to)]));
        expect(cyclic).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

// ---- nameConstraints ------------------------------------------------------------------

describe('nameConstraints', () => {
  it('names unnamed constraints the way PostgreSQL would, keeping given names', () => {
    const named = nameConstraints(
      tbl('orders', {
        columns: [col('id'), col('user_id'), col('code', 'text'), col('region', 'text')],
        uniques: [{ columns: ['code', 'region'] }, { name: 'my_unique', columns: ['user_id'] }],
        foreignKeys: [fk(['user_id'], 'users')],
      }),
    );
    expect(named.primaryKey!.name).toBe('orders_pkey');
    expect(named.uniques.map((u) => u.name)).toEqual(['orders_code_region_key', 'my_unique']);
    expect(named.foreignKeys[0]!.name).toBe('orders_user_id_fkey');
  });
});

// ---- fitIdentifiers -------------------------------------------------------------------

describe('fitIdentifiers', () => {
  const long = (tail: string) => `${'a'.repeat(63)}${tail}`;

  it('only names constraints when the target has no limit', () => {
    const input = [tbl(long('_x'))];
    const { tables, notes } = fitIdentifiers(input, DEFAULT_CAPABILITIES, DEFAULT_POLICIES);
    expect(tables[0]!.name).toBe(long('_x'));
    expect(tables[0]!.primaryKey!.name).toBe(`${long('_x')}_pkey`);
    expect(notes).toEqual([]);
  });

  it('keeps names of exactly 63 bytes', () => {
    const name = 'é'.repeat(31) + 'x'; // 63 bytes
    expect(bytes(name)).toBe(63);
    const { tables, notes } = fitIdentifiers([tbl(name, { columns: [col(name)], primaryKey: undefined })], PG, DEFAULT_POLICIES);
    expect(tables[0]!.name).toBe(name);
    expect(tables[0]!.columns[0]!.name).toBe(name);
    expect(notes).toEqual([]);
  });

  it('refuses two table names equal in their first 63 bytes with IDENTIFIER_COLLISION naming both', () => {
    const error = errorOf(() => fitIdentifiers([tbl(long('_one')), tbl(long('_two'))], PG, DEFAULT_POLICIES));
    expect(error.code).toBe('IDENTIFIER_COLLISION');
    expect(error.message).toContain(`"${long('_one')}"`);
    expect(error.message).toContain(`"${long('_two')}"`);
    expect(error.message).toContain(`("${'a'.repeat(63)}")`);
    expect(error.hints[0]).toContain("`policies.longNames: 'shorten'`");
  });

  it('refuses a long name that collides with a 63-byte name once cut', () => {
    const error = errorOf(() => fitIdentifiers([tbl('a'.repeat(63)), tbl(long('b'))], PG, DEFAULT_POLICIES));
    expect(error.code).toBe('IDENTIFIER_COLLISION');
    expect(error.message).toContain(`"${'a'.repeat(63)}" and "${long('b')}"`);
  });

  it('finds collisions of multi-byte names cut at a character boundary', () => {
    const one = 'é'.repeat(31) + 'xa'; // 64 bytes, cut to 'é'×31 + 'x'
    const two = 'é'.repeat(31) + 'xb';
    const error = errorOf(() => fitIdentifiers([tbl('t', { columns: [col(one), col(two)], primaryKey: undefined })], PG, DEFAULT_POLICIES));
    expect(error.code).toBe('IDENTIFIER_COLLISION');
    expect(error.message).toBe(
      `column names "${one}" and "${two}" in table "t" are the same in their first 63 bytes ("${'é'.repeat(31)}x").`,
    );
    expect(error.table).toBe('t');
  });

  it('refuses a single long name with IDENTIFIER_INVALID', () => {
    const error = errorOf(() => fitIdentifiers([tbl('t', { columns: [col('id'), col(long('_col'))] })], PG, DEFAULT_POLICIES));
    expect(error.code).toBe('IDENTIFIER_INVALID');
    expect(error.message).toBe(`column name "${long('_col')}" in table "t" is longer than 63 bytes.`);
  });

  it('reports a collision as IDENTIFIER_COLLISION also when another name is merely too long', () => {
    const error = errorOf(() => fitIdentifiers([tbl(long('_one')), tbl(long('_two')), tbl(`${'b'.repeat(64)}`)], PG, DEFAULT_POLICIES));
    expect(error.code).toBe('IDENTIFIER_COLLISION');
    expect(error.message).toContain('is longer than 63 bytes');
    expect(error.message).toContain('are the same in their first 63 bytes');
  });

  describe("with the 'shorten' policy", () => {
    const parentName = long('_parent');
    const childName = long('_child');
    const longCol = `${'c'.repeat(60)}_column_name`;
    const input = (): Table[] => [
      tbl(parentName, { columns: [col('id'), col(longCol)], uniques: [{ columns: [longCol] }], sequence: { column: 'id', lastValue: 5n } }),
      tbl(childName, {
        columns: [col('id'), col('parent_ref')],
        foreignKeys: [fk(['parent_ref'], parentName, [longCol])],
        indexes: [{ name: 'child_idx', columns: ['parent_ref'], unique: false }],
      }),
    ];

    it('gives every long name a distinct deterministic short form of at most 63 bytes', () => {
      const { tables } = fitIdentifiers(input(), PG, SHORTEN);
      const [parent, child] = tables;
      for (const n of [parent!.name, child!.name, parent!.columns[1]!.name]) {
        expect(bytes(n)).toBeLessThanOrEqual(63);
        expect(n).toMatch(/_[0-9a-f]{8}$/);
      }
      expect(parent!.name).not.toBe(child!.name);
      expect(parent!.name.startsWith('a'.repeat(54))).toBe(true);
      expect(fitIdentifiers(input(), PG, SHORTEN).tables.map((t) => t.name)).toEqual([parent!.name, child!.name]);
    });

    it('says so in a NAME_SHORTENED warning for each name', () => {
      const { tables, notes } = fitIdentifiers(input(), PG, SHORTEN);
      expect(notes.map((n) => [n.level, n.code])).toEqual([
        ['warning', 'NAME_SHORTENED'],
        ['warning', 'NAME_SHORTENED'],
        ['warning', 'NAME_SHORTENED'],
      ]);
      expect(notes[0]!.message).toContain(`table name "${parentName}"`);
      expect(notes[0]!.message).toContain(`"${tables[0]!.name}"`);
      expect(notes[2]!.table).toBe(parentName);
      expect(notes[2]!.message).toContain(`column name "${longCol}"`);
    });

    it('renames every reference: keys, foreign keys to the parent, sequences', () => {
      const { tables } = fitIdentifiers(input(), PG, SHORTEN);
      const [parent, child] = tables;
      const shortCol = parent!.columns[1]!.name;
      expect(parent!.uniques[0]!.columns).toEqual([shortCol]);
      expect(parent!.sequence).toEqual({ column: 'id', lastValue: 5n });
      expect(child!.foreignKeys[0]!.references).toEqual({ table: parent!.name, columns: [shortCol] });
      expect(child!.foreignKeys[0]!.columns).toEqual(['parent_ref']);
      expect(child!.indexes[0]!.name).toBe('child_idx');
    });

    it('shortens the long constraint names it made up, quietly', () => {
      const { tables, notes } = fitIdentifiers(input(), PG, SHORTEN);
      const constraintNames = [tables[0]!.primaryKey!.name!, tables[0]!.uniques[0]!.name!, tables[1]!.foreignKeys[0]!.name!];
      for (const n of constraintNames) expect(bytes(n)).toBeLessThanOrEqual(63);
      expect(new Set(constraintNames).size).toBe(3);
      expect(notes.every((n) => !n.message.includes('_pkey'))).toBe(true);
    });

    it('does not change the tables passed in', () => {
      const tables = input();
      const before = structuredClone(tables);
      fitIdentifiers(tables, PG, SHORTEN);
      expect(tables).toEqual(before);
    });

    it('also shortens a long name that would collide with a 63-byte one', () => {
      const { tables } = fitIdentifiers([tbl('a'.repeat(63)), tbl(long('b'))], PG, SHORTEN);
      expect(tables[0]!.name).toBe('a'.repeat(63));
      expect(tables[1]!.name).toMatch(/^a{54}_[0-9a-f]{8}$/);
    });
  });

  it('gives a relation-level name already taken by a table a numbered form', () => {
    const { tables } = fitIdentifiers(
      [tbl('users', { indexes: [{ name: 'orders', columns: ['id'], unique: false }] }), tbl('orders')],
      PG,
      DEFAULT_POLICIES,
    );
    expect(tables[0]!.indexes[0]!.name).toBe('orders_2');
    expect(tables[0]!.primaryKey!.name).toBe('users_pkey');
    expect(tables[1]!.primaryKey!.name).toBe('orders_pkey');
  });

  it('numbers an index name already taken by a constraint', () => {
    const { tables } = fitIdentifiers(
      [tbl('t', { uniques: [{ name: 'dup', columns: ['id'] }], indexes: [{ name: 'dup', columns: ['id'], unique: false }] })],
      PG,
      DEFAULT_POLICIES,
    );
    expect(tables[0]!.uniques[0]!.name).toBe('dup');
    expect(tables[0]!.indexes[0]!.name).toBe('dup_2');
  });

  it('shortens long made-up constraint names without a note, keeping them apart', () => {
    const t = 'x'.repeat(40);
    const colA = `${'y'.repeat(30)}_a`;
    const colB = `${'y'.repeat(30)}_b`;
    const { tables, notes } = fitIdentifiers(
      [tbl(t, { columns: [col('id'), col(colA), col(colB)], uniques: [{ columns: [colA] }, { columns: [colB] }] })],
      PG,
      DEFAULT_POLICIES,
    );
    const [a, b] = tables[0]!.uniques.map((u) => u.name!);
    expect(bytes(a!)).toBeLessThanOrEqual(63);
    expect(bytes(b!)).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^x{40}_y{13}_[0-9a-f]{8}$/);
    expect(notes).toEqual([]);
  });
});

// ---- checkCompatible ------------------------------------------------------------------

describe('checkCompatible', () => {
  const source = tbl('items', { columns: [col('id'), col('price', 'decimal', { precision: 10, scale: 2 }), col('flag', 'boolean')] });

  it('accepts an identical table without notes', () => {
    expect(checkCompatible(source, source)).toEqual([]);
  });

  it('notes a lossless conversion into a wider target type', () => {
    const target = tbl('items', { columns: [col('id'), col('price', 'text'), col('flag', 'integer')] });
    const notes = checkCompatible(source, target);
    expect(notes.map((n) => [n.code, n.column])).toEqual([
      ['TYPE_CONVERTED', 'price'],
      ['TYPE_CONVERTED', 'flag'],
    ]);
    expect(notes[0]!.message).toBe("decimal(10,2) values go into the target's text column.");
  });

  it('refuses a column missing in the target with SCHEMA_INCOMPATIBLE naming it', () => {
    const error = errorOf(() => checkCompatible(source, tbl('items', { columns: [col('id'), col('flag', 'boolean')] })));
    expect(error.code).toBe('SCHEMA_INCOMPATIBLE');
    expect(error.table).toBe('items');
    expect(error.column).toBe('price');
    expect(error.message).toContain('column "price" does not exist in the target');
  });

  it('refuses a target type that cannot hold the values', () => {
    const error = errorOf(() => checkCompatible(source, tbl('items', { columns: [col('id'), col('price', 'integer'), col('flag', 'boolean')] })));
    expect(error.code).toBe('SCHEMA_INCOMPATIBLE');
    expect(error.column).toBe('price');
    expect(error.message).toContain('column "price" is integer in the target but decimal(10,2) in the source');
  });

  it('refuses a target-only NOT NULL column without a default', () => {
    const target = tbl('items', { columns: [...source.columns, col('required', 'text', { nullable: false })] });
    const error = errorOf(() => checkCompatible(source, target));
    expect(error.column).toBe('required');
    expect(error.message).toContain('column "required" exists only in the target and is NOT NULL without a default');
  });

  it('accepts target-only columns that are nullable, have a default or are generated, with a note', () => {
    const target = tbl('items', {
      columns: [
        ...source.columns,
        col('maybe', 'text'),
        col('dflt', 'integer', { nullable: false, default: { kind: 'literal', value: 0 } }),
        col('gen', 'integer', { nullable: false, generated: true }),
      ],
    });
    const notes = checkCompatible(source, target);
    expect(notes.map((n) => [n.code, n.column])).toEqual([
      ['TARGET_COLUMN_UNUSED', 'maybe'],
      ['TARGET_COLUMN_UNUSED', 'dflt'],
      ['TARGET_COLUMN_UNUSED', 'gen'],
    ]);
  });

  it('lists every problem and names the first column', () => {
    const error = errorOf(() => checkCompatible(source, tbl('items', { columns: [col('id', 'text'), col('flag', 'bytes')] })));
    expect(error.column).toBe('price');
    expect(error.message).toBe(
      'Table "items" cannot be loaded into the existing table: column "price" does not exist in the target; column "flag" is bytes in the target but boolean in the source.',
    );
  });
});

describe('describeType', () => {
  it('gives precision and scale of bounded decimals', () => {
    expect(describeType(col('a', 'decimal', { precision: 12 }))).toBe('decimal(12,0)');
    expect(describeType(col('a', 'decimal'))).toBe('decimal');
    expect(describeType(col('a', 'timestamptz'))).toBe('timestamptz');
  });
});

// ---- naturalKeyOf / planLoad ---------------------------------------------------------

describe('naturalKeyOf', () => {
  const people = tbl('people', {
    columns: [col('id'), col('email', 'text'), col('nick', 'text')],
    uniques: [{ columns: ['id'] }, { columns: ['email'] }],
    indexes: [{ name: 'people_nick', columns: ['nick'], unique: true }],
  });

  it('takes the columns the user gave', () => {
    expect(naturalKeyOf(people, ['nick', 'email'])).toEqual(['nick', 'email']);
  });

  it('refuses given columns the table does not have, with USAGE naming the first', () => {
    const error = errorOf(() => naturalKeyOf(people, ['email', 'mail', 'phone']));
    expect(error.code).toBe('USAGE');
    expect(error.column).toBe('mail');
    expect(error.message).toBe('`keys` for "people" (email, mail, phone): no column "mail", "phone" in "people".');
  });

  it('else takes the first unique constraint that is not the primary key, then unique indexes', () => {
    expect(naturalKeyOf(people)).toEqual(['email']);
    expect(naturalKeyOf({ ...people, uniques: [] })).toEqual(['nick']);
    expect(naturalKeyOf({ ...people, uniques: [{ columns: ['id'] }], indexes: [] })).toBeUndefined();
  });
});

describe('planLoad', () => {
  const users = tbl('users');
  const orders = tbl('orders', { columns: [col('id'), col('user_id')], foreignKeys: [fk(['user_id'], 'users')] });
  const source = schema([orders, users]);

  it('creates missing tables, parents first, with row counts', () => {
    const plan = planLoad({
      source,
      target: schema([]),
      tables: [orders, users],
      mode: 'create',
      capabilities: PG,
      policies: DEFAULT_POLICIES,
      rowCounts: new Map([['users', 3]]),
    });
    expect(plan.tables.map((p) => [p.source.name, p.create, p.action, p.rowCount])).toEqual([
      ['users', true, 'load', 3],
      ['orders', true, 'load', undefined],
    ]);
    expect(plan.mode).toBe('create');
    expect(plan.dryRun).toBe(false);
    expect(plan.merge).toBeUndefined();
    expect(plan.tables[1]!.target.foreignKeys[0]!.name).toBe('orders_user_id_fkey');
    expect(plan.tables.every((p) => p.deferredForeignKeys.length === 0)).toBe(true);
  });

  it('loads into an existing table in create mode, and checks it', () => {
    const plan = planLoad({ source, target: schema([users]), tables: [orders, users], mode: 'create', capabilities: PG, policies: DEFAULT_POLICIES, dryRun: true });
    expect(plan.tables.map((p) => [p.source.name, p.create, p.action])).toEqual([
      ['users', false, 'load'],
      ['orders', true, 'load'],
    ]);
    expect(plan.tables[0]!.existing).toBe(users);
    expect(plan.tables[1]!.existing).toBeUndefined();
    expect(plan.dryRun).toBe(true);
  });

  it('uses the mode as the action for existing tables', () => {
    const plan = planLoad({ source, target: schema([users, orders]), tables: [orders, users], mode: 'replace', capabilities: PG, policies: DEFAULT_POLICIES });
    expect(plan.tables.map((p) => [p.create, p.action])).toEqual([
      [false, 'replace'],
      [false, 'replace'],
    ]);
  });

  it('merges into existing tables and new ones with foreign keys; a new table without any is loaded as it is', () => {
    const people = tbl('people', { columns: [col('id'), col('email', 'text')], uniques: [{ columns: ['email'] }] });
    const notes = tbl('notes', { columns: [col('id'), col('person_id')], foreignKeys: [fk(['person_id'], 'people')] });
    const merge = { sourceId: 'src-1', update: true, strict: false };
    const plan = planLoad({
      source: schema([people, users, orders, notes]),
      target: schema([users]),
      tables: [people, users, orders, notes],
      mode: 'merge',
      capabilities: { ...PG, mergeModes: ['merge'] },
      policies: DEFAULT_POLICIES,
      merge,
    });
    expect(plan.tables.map((p) => [p.source.name, p.create, p.action, p.naturalKey])).toEqual([
      ['people', true, 'load', ['email']],
      ['notes', true, 'merge', undefined],
      ['users', false, 'merge', undefined],
      ['orders', true, 'merge', undefined],
    ]);
    expect(plan.merge).toBe(merge);
  });

  it('refuses a merge mode the target does not support with UNSUPPORTED', () => {
    const error = errorOf(() =>
      planLoad({ source, target: schema([]), tables: [users], mode: 'append', capabilities: PG, policies: DEFAULT_POLICIES }),
    );
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toContain("`mode: 'append'`");
  });

  it('refuses a --key for a table that is not pushed', () => {
    const error = errorOf(() =>
      planLoad({ source, target: schema([]), tables: [users], mode: 'merge', capabilities: { ...PG, mergeModes: ['merge'] }, policies: DEFAULT_POLICIES, keys: { orders: ['id'] } }),
    );
    expect(error.code).toBe('USAGE');
    expect(error.table).toBe('orders');
  });

  it('defers self-references and cycle-closing foreign keys, under their target names', () => {
    const self = fk(['parent_id'], 'nodes');
    const nodes = tbl('nodes', { columns: [col('id'), col('parent_id')], foreignKeys: [self] });
    const plan = planLoad({ source: schema([nodes]), target: schema([]), tables: [nodes], mode: 'create', capabilities: PG, policies: DEFAULT_POLICIES });
    expect(plan.tables[0]!.deferredForeignKeys).toEqual([{ ...self, name: 'nodes_parent_id_fkey' }]);
  });

  it('fails when an existing table is incompatible', () => {
    const existing = tbl('orders', { columns: [col('id')] });
    const error = errorOf(() =>
      planLoad({ source, target: schema([users, existing]), tables: [orders, users], mode: 'replace', capabilities: PG, policies: DEFAULT_POLICIES }),
    );
    expect(error.code).toBe('SCHEMA_INCOMPATIBLE');
    expect(error.column).toBe('user_id');
  });

  it('matches existing tables by their shortened name and carries the notes', () => {
    const longName = 'l'.repeat(70);
    const longTable = tbl(longName);
    const first = planLoad({ source: schema([longTable]), target: schema([]), tables: [longTable], mode: 'replace', capabilities: PG, policies: SHORTEN });
    const shortName = first.tables[0]!.target.name;
    expect(first.tables[0]!.create).toBe(true);
    expect(first.tables[0]!.source.name).toBe(longName);
    expect(bytes(shortName)).toBeLessThanOrEqual(63);
    expect(first.notes.map((n) => n.code)).toEqual(['NAME_SHORTENED']);
    const existing = tbl(shortName);
    const second = planLoad({ source: schema([longTable]), target: schema([existing]), tables: [longTable], mode: 'replace', capabilities: PG, policies: SHORTEN });
    expect(second.tables[0]!.create).toBe(false);
    expect(second.tables[0]!.action).toBe('replace');
    expect(second.tables[0]!.existing).toBe(existing);
  });
});
