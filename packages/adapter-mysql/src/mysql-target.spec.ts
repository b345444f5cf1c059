import type { Column } from '@hesap/core';
import { quoteMysqlIdent, mysqlLiteral } from './mysql-identifiers';
import { parseMysqlUrl } from './mysql-connection';
import { shortestFraction } from './mysql-source';
import { decoderFor, toUtc } from './mysql-target';

const column = (type: Column['type'], extra: Partial<Column> = {}): Column => ({ name: 'c', type, declaredType: '', nullable: true, ...extra });

describe('MySQL values and names', () => {
  it('quotes every identifier through one function', () => {
    expect(quoteMysqlIdent('order')).toBe('`order`');
    expect(quoteMysqlIdent('we`ird "name"; --')).toBe('`we``ird "name"; --`');
    expect(() => quoteMysqlIdent('')).toThrow('empty name');
    expect(() => quoteMysqlIdent('a\u0000b')).toThrow('NUL');
    expect(mysqlLiteral("it's a \\ test")).toBe("'it''s a \\\\ test'");
  });

  it('converts time zones to UTC for TIMESTAMP columns', () => {
    expect(toUtc('2024-01-01 12:00:00+00')).toBe('2024-01-01 12:00:00');
    expect(toUtc('2024-01-01 01:30:00.25+02')).toBe('2023-12-31 23:30:00.25');
    expect(toUtc('2024-02-29 23:00:00-05:30')).toBe('2024-03-01 04:30:00');
    expect(toUtc('0999-01-01 00:00:00Z')).toBe('0999-01-01 00:00:00');
    expect(() => toUtc('infinity')).toThrow('not a timestamp');
  });

  it('refuses values MySQL would change instead of storing them', () => {
    const float = decoderFor(column('float'));
    expect(float('0.1')).toBe(0.1);
    for (const bad of ['NaN', 'Infinity', '-Infinity', '-0']) expect(() => float(bad)).toThrow('cannot be stored in a MySQL DOUBLE');
    const money = decoderFor(column('decimal', { precision: 10, scale: 2 }));
    expect(money('2.50')).toBe('2.5');
    expect(money('1.5e-1')).toBe('0.15');
    expect(() => money('1.005')).toThrow('has 3 digits after the point; the MySQL column keeps 2');
    expect(() => money('NaN')).toThrow('cannot be stored in a MySQL DECIMAL');
    expect(() => decoderFor(column('integer'))('1.5')).toThrow('not an integer');
    expect(decoderFor(column('boolean'))('t')).toBe(1);
    expect(decoderFor(column('bytes'))('\\x00ff')).toEqual(Buffer.from([0, 255]));
  });

  it('prints fractions of seconds in their shortest form, as PostgreSQL does', () => {
    expect(shortestFraction('2024-01-01 12:00:00.000000')).toBe('2024-01-01 12:00:00');
    expect(shortestFraction('12:00:00.500000')).toBe('12:00:00.5');
    expect(shortestFraction('2024-01-01 12:00:00')).toBe('2024-01-01 12:00:00');
  });

  it('reads mysql:// and mariadb:// URLs, never showing the password', () => {
    expect(parseMysqlUrl('mariadb://app:p%40ss@db.example:3307/shop?ssl-mode=required')).toEqual({
      host: 'db.example',
      port: 3307,
      user: 'app',
      password: 'p@ss',
      database: 'shop',
      sslMode: 'REQUIRED',
      display: 'mariadb://app:***@db.example:3307/shop?ssl-mode=required',
    });
    expect(() => parseMysqlUrl('mysql://root:secret@localhost')).toThrow(/names no database: mysql:\/\/root:\*\*\*@localhost/);
    expect(() => parseMysqlUrl('mysql://root@localhost/x?ssl-mode=sometimes')).toThrow('Unknown ssl-mode');
  });
});
