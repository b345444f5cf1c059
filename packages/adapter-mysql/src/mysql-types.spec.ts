import type { Column } from '@hesap/core';
import { decimalBounds, formatMysqlDefault, mysqlType, neutralType, parseMysqlDefault, type MysqlColumnInfo } from './mysql-types';

const info = (dataType: string, columnType = dataType, extra: Partial<MysqlColumnInfo> = {}): MysqlColumnInfo => ({
  dataType,
  columnType,
  precision: null,
  scale: null,
  datetimePrecision: null,
  ...extra,
});
const column = (type: Column['type'], extra: Partial<Column> = {}): Column => ({ name: 'c', type, declaredType: '', nullable: true, ...extra });

describe('MySQL types', () => {
  it.each([
    [info('tinyint', 'tinyint(1)'), { type: 'boolean' }],
    [info('tinyint', 'tinyint(1) unsigned'), { type: 'integer', byteSize: 2 }],
    [info('tinyint', 'tinyint(4)'), { type: 'integer', byteSize: 2 }],
    [info('smallint', 'smallint(5) unsigned'), { type: 'integer', byteSize: 4 }],
    [info('mediumint', 'mediumint(8)'), { type: 'integer', byteSize: 4 }],
    [info('int', 'int(11)'), { type: 'integer', byteSize: 4 }],
    [info('int', 'int(10) unsigned'), { type: 'integer' }],
    [info('bigint', 'bigint(20)'), { type: 'integer' }],
    [info('varchar', 'varchar(255)'), { type: 'text', maxLength: 255 }],
    [info('char', 'char(2)'), { type: 'text' }],
    [info('bigint', 'bigint(20) unsigned'), { type: 'decimal', precision: 20, scale: 0 }],
    [info('decimal', 'decimal(10,2)', { precision: 10, scale: 2 }), { type: 'decimal', precision: 10, scale: 2 }],
    [info('double'), { type: 'float' }],
    [info('varbinary', 'varbinary(16)'), { type: 'bytes' }],
    [info('bit', 'bit(8)'), { type: 'bytes' }],
    [info('datetime', 'datetime(3)', { datetimePrecision: 3 }), { type: 'timestamp', precision: 3 }],
    [info('timestamp'), { type: 'timestamptz' }],
    [info('enum', "enum('a','b')"), { type: 'text' }],
    [info('json'), { type: 'json' }],
    [info('year'), { type: 'integer' }],
  ] as const)('reads %j as %j', (given, expected) => {
    expect(neutralType(given)).toEqual(expected);
  });

  it('creates exact types, text with a binary collation, keys bounded', () => {
    const choice = { textCollation: 'utf8mb4_nopad_bin' };
    expect(mysqlType(column('text'), choice)).toBe('LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin');
    expect(mysqlType(column('text'), { ...choice, keyLength: 255 })).toBe('VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin');
    expect(mysqlType(column('bytes'), { ...choice, keyLength: 100 })).toBe('VARBINARY(100)');
    expect(mysqlType(column('decimal'), choice)).toBe('DECIMAL(65,30)');
    expect(mysqlType(column('decimal', { precision: 12, scale: 4 }), choice)).toBe('DECIMAL(12,4)');
    expect(mysqlType(column('decimal', { precision: 100, scale: 2 }), choice)).toBe('DECIMAL(65,30)');
    expect(mysqlType(column('timestamp', { precision: 0 }), choice)).toBe('DATETIME(0)');
    expect(mysqlType(column('integer', { origin: { dialect: 'mysql', type: 'int(10) unsigned' } }), choice)).toBe('int(10) unsigned');
    expect(decimalBounds(column('decimal', { origin: { dialect: 'mysql', type: 'decimal(8,3)' } }))).toEqual({ precision: 8, scale: 3 });
  });

  it('reads defaults as MariaDB and as MySQL write them', () => {
    const text = info('varchar', 'varchar(10)');
    expect(parseMysqlDefault(null, text, true, '')).toBeUndefined();
    expect(parseMysqlDefault('NULL', text, true, '')).toEqual({ kind: 'null' });
    expect(parseMysqlDefault("'it''s'", text, true, '')).toEqual({ kind: 'literal', value: "it's" });
    expect(parseMysqlDefault("'it''s'", text, false, '')).toEqual({ kind: 'literal', value: "'it''s'" });
    expect(parseMysqlDefault('42', info('int'), true, '')).toEqual({ kind: 'literal', value: 42n });
    expect(parseMysqlDefault('0.00', info('decimal'), true, '')).toEqual({ kind: 'literal', value: '0.00' });
    expect(parseMysqlDefault('current_timestamp(6)', info('datetime'), true, '')).toEqual({ kind: 'now', precision: 6, local: true });
    expect(parseMysqlDefault('CURRENT_TIMESTAMP', info('timestamp'), false, 'DEFAULT_GENERATED')).toEqual({ kind: 'now', precision: 0 });
    expect(parseMysqlDefault('curdate()', info('date'), true, '')).toEqual({ kind: 'today', local: true });
    expect(parseMysqlDefault('rand()', info('double'), true, '')).toEqual({ kind: 'expression', dialect: 'mysql', sql: 'rand()' });
  });

  it('writes defaults MySQL accepts, or none', () => {
    expect(formatMysqlDefault(column('text'), { kind: 'literal', value: "a'b\\" }, 'LONGTEXT')).toBe("('a''b\\\\')");
    expect(formatMysqlDefault(column('text'), { kind: 'literal', value: 'x' }, 'VARCHAR(10)')).toBe("'x'");
    expect(formatMysqlDefault(column('boolean'), { kind: 'literal', value: true }, 'TINYINT(1)')).toBe('1');
    expect(formatMysqlDefault(column('timestamp'), { kind: 'now', precision: 6, local: true }, 'DATETIME(6)')).toBe('CURRENT_TIMESTAMP(6)');
    expect(formatMysqlDefault(column('timestamp'), { kind: 'now', precision: 0 }, 'DATETIME(0)')).toBe('(UTC_TIMESTAMP(0))');
    expect(formatMysqlDefault(column('integer'), { kind: 'expression', dialect: 'postgres', sql: 'nextval(1)' }, 'BIGINT')).toBeUndefined();
    expect(formatMysqlDefault(column('float'), { kind: 'literal', value: Infinity }, 'DOUBLE')).toBeUndefined();
  });
});
