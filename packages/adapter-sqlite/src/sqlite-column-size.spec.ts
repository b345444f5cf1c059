import type { Column, Note, Table } from '@hesap/core';
import type { ColumnStats } from './sqlite-column-profile';
import { declaredSize, decideColumnSize, keepKeysAlike } from './sqlite-column-size';
import { parseDeclaredType } from './sqlite-declared-type';

const NONE: ColumnStats = { integers: 0, reals: 0, texts: 0, blobs: 0, integralReals: 0, nonAscii: 0, fitting: 0, dates: 0, millis: 0 };
const ints = (n: number, fitting = n): ColumnStats => ({ ...NONE, integers: n, fitting });
const texts = (n: number, fitting = n): ColumnStats => ({ ...NONE, texts: n, fitting });

function column(name: string, type: Column['type'], declaredType: string, extra: Partial<Column> = {}): Column {
  return { name, type, declaredType, nullable: true, origin: { dialect: 'sqlite', type: declaredType }, ...extra };
}

function table(name: string, columns: Column[], extra: Partial<Table> = {}): Table {
  return { name, columns, uniques: [], foreignKeys: [], indexes: [], ...extra };
}

describe('declaredSize', () => {
  it.each([
    ['INTEGER', { bytes: 4 }],
    ['int', { bytes: 4 }],
    ['INT(11)', { bytes: 4 }],
    ['int4', { bytes: 4 }],
    ['MEDIUMINT UNSIGNED', { bytes: 4 }],
    ['smallint', { bytes: 2 }],
    ['INT2', { bytes: 2 }],
    ['BIGINT', undefined],
    ['UNSIGNED BIG INT', undefined],
    ['int8', undefined],
    ['TINYINT', undefined],
    ['varchar(255)', { length: 255, fixed: false }],
    ['CHARACTER VARYING(30)', { length: 30, fixed: false }],
    ['NVARCHAR(12)', { length: 12, fixed: false }],
    ['NATIONAL VARYING CHARACTER(5)', { length: 5, fixed: false }],
    ['char(2)', { length: 2, fixed: true }],
    ['NCHAR(3)', { length: 3, fixed: true }],
    ['CHARACTER(20)', { length: 20, fixed: true }],
    ['varchar', undefined],
    ['varchar(0)', undefined],
    ['varchar(10485761)', undefined],
    ['TEXT(10)', undefined],
    ['NUMERIC(10,2)', undefined],
  ])('%s', (declared, expected) => {
    expect(declaredSize(parseDeclaredType(declared))).toEqual(expected);
  });
});

describe('decideColumnSize', () => {
  const decide = (declared: string, s: ColumnStats, c: Column, t = table('t', [c]), repaired = false) =>
    decideColumnSize(parseDeclaredType(declared), s, c, t, repaired);

  it('keeps the declared width when every value fits, an empty column included', () => {
    expect(decide('integer', ints(3), column('n', 'integer', 'integer')).size).toEqual({ byteSize: 4 });
    expect(decide('smallint', ints(0), column('n', 'integer', 'smallint')).size).toEqual({ byteSize: 2 });
    expect(decide('varchar(255)', texts(3), column('s', 'text', 'varchar(255)')).size).toEqual({ maxLength: 255 });
    expect(decide('char(2)', texts(3), column('s', 'text', 'char(2)')).size).toEqual({ maxLength: 2, fixedLength: true });
  });

  it('widens, with a note, when a value does not fit', () => {
    const big = decide('INTEGER', ints(3, 2), column('n', 'integer', 'INTEGER'));
    expect(big).toEqual({ size: {}, note: "declared INTEGER holds integers past PostgreSQL's 32-bit range; created as bigint." });
    const long = decide('varchar(5)', texts(3, 2), column('s', 'text', 'varchar(5)'));
    expect(long.size).toEqual({});
    expect(long.note).toMatch(/longer than 5 characters/);
    const short = decide('char(2)', texts(3, 2), column('s', 'text', 'char(2)'));
    expect(short.note).toMatch(/pad them with spaces|pad with spaces or refuse/);
  });

  it('keeps no width for a type the data changed (text in an integer column, blobs in a varchar)', () => {
    expect(decide('INTEGER', { ...NONE, texts: 2, integers: 1 }, column('n', 'text', 'INTEGER'))).toEqual({ size: {} });
    expect(decide('varchar(5)', { ...NONE, texts: 2, blobs: 1, fitting: 2 }, column('s', 'text', 'varchar(5)'))).toEqual({ size: {} });
  });

  it('widens an AUTOINCREMENT key whose last handed-out value is past the range', () => {
    const id = column('id', 'integer', 'INTEGER', { generated: true });
    const t = table('t', [id], { sequence: { column: 'id', lastValue: 3_000_000_000n, strict: true } });
    expect(decide('INTEGER', ints(1), id, t).note).toMatch(/AUTOINCREMENT has handed out 3000000000/);
    const fits = table('t', [id], { sequence: { column: 'id', lastValue: 2_147_483_647n, strict: true } });
    expect(decide('INTEGER', ints(1), id, fits).size).toEqual({ byteSize: 4 });
  });

  it('widens a column whose default would not fit', () => {
    expect(decide('INTEGER', ints(1), column('n', 'integer', 'INTEGER', { default: { kind: 'literal', value: 5_000_000_000n } })).size).toEqual({});
    expect(decide('INTEGER', ints(1), column('n', 'integer', 'INTEGER', { default: { kind: 'literal', value: -5n } })).size).toEqual({ byteSize: 4 });
    expect(decide('varchar(3)', texts(1), column('s', 'text', 'varchar(3)', { default: { kind: 'literal', value: 'abcd' } })).size).toEqual({});
    expect(decide('varchar(10)', texts(1), column('s', 'text', 'varchar(10)', { default: { kind: 'now', precision: 0 } })).size).toEqual({});
    expect(decide('char(2)', texts(1), column('s', 'text', 'char(2)', { default: { kind: 'literal', value: 'a' } })).size).toEqual({});
    expect(decide('char(2)', texts(1), column('s', 'text', 'char(2)', { default: { kind: 'null' } })).size).toEqual({ maxLength: 2, fixedLength: true });
  });

  it('keeps no length for text the repair function may lengthen', () => {
    expect(decide('varchar(5)', texts(1), column('s', 'text', 'varchar(5)'), undefined, true).size).toEqual({});
  });
});

describe('keepKeysAlike', () => {
  it('gives every column joined by foreign keys the widest width among them', () => {
    const users = table('users', [column('id', 'integer', 'INTEGER', { byteSize: 4 }), column('invited_by', 'integer', 'integer', { byteSize: 4 })], {
      foreignKeys: [{ columns: ['invited_by'], references: { table: 'users', columns: ['id'] }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION' }],
    });
    const orders = table('orders', [column('id', 'integer', 'INTEGER', { byteSize: 4 }), column('creator_id', 'integer', 'integer')], {
      foreignKeys: [{ columns: ['creator_id'], references: { table: 'users', columns: ['ID'] }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION' }],
    });
    const groups = table('groups', [column('id', 'integer', 'INTEGER', { byteSize: 4 }), column('owner', 'integer', 'smallint', { byteSize: 2 })], {
      foreignKeys: [{ columns: ['owner'], references: { table: 'orders', columns: ['id'] }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION' }],
    });
    const notes: Note[] = [];
    keepKeysAlike([users, orders, groups], notes);
    expect(users.columns.map((c) => c.byteSize)).toEqual([undefined, undefined]);
    expect(orders.columns.map((c) => c.byteSize)).toEqual([4, undefined]);
    expect(groups.columns.map((c) => c.byteSize)).toEqual([4, 4]);
    expect(notes.map((n) => `${n.table}.${n.column}: ${n.message}`)).toEqual([
      'users.id: "id" is created as bigint, as "orders"."creator_id" is, to which a foreign key joins it.',
      'users.invited_by: "invited_by" is created as bigint, as "orders"."creator_id" is, to which a foreign key joins it.',
      'groups.owner: "owner" is created as integer, as "orders"."id" is, to which a foreign key joins it.',
    ]);
  });

  it('leaves a key alone when the table it references was not profiled', () => {
    const orders = table('orders', [column('creator_id', 'integer', 'integer', { byteSize: 4 })], {
      foreignKeys: [{ columns: ['creator_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION' }],
    });
    keepKeysAlike([orders], []);
    expect(orders.columns[0]!.byteSize).toBe(4);
  });
});
