import type { Column } from '@hesap/core';
import { decoderFor, plainInteger } from './sqlite-table-writer';

const column = (c: Partial<Column>): Column => ({ name: 'total', type: 'decimal', declaredType: 'numeric', nullable: true, ...c });
const printReal = (n: number) => String(n);

describe('decoderFor: decimals into a column of numeric affinity', () => {
  it('passes numeric(p,s) of at most 15 digits through as text SQLite converts exactly, and still refuses NaN and infinities', () => {
    const decode = decoderFor(column({ precision: 10, scale: 2 }), 'NUMERIC', printReal);
    expect(['12.50', '-0.01', '99999999.99'].map(decode)).toEqual(['12.50', '-0.01', '99999999.99']);
    for (const t of ['NaN', 'Infinity', '-Infinity']) expect(() => decode(t)).toThrow(/total|SQLite|hold/i);
  });

  it('checks longer values of a wider numeric', () => {
    const decode = decoderFor(column({ precision: 20, scale: 2 }), 'NUMERIC', printReal);
    expect(decode('12.50')).toBe('12.50');
    expect(() => decode('99999999999999.99')).toThrow();
  });
});

describe('decoderFor: integers into a column of numeric affinity', () => {
  it('sends plain integers of up to 15 characters as numbers, longer or other text as it is', () => {
    const decode = decoderFor(column({ name: 'n', type: 'integer', declaredType: 'INTEGER' }), 'INTEGER', printReal);
    expect(['0', '-7', '123456789012345', '-12345678901234'].map(decode)).toEqual([0, -7, 123456789012345, -12345678901234]);
    expect(['1234567890123456', '-123456789012345', '9223372036854775807'].map(decode)).toEqual(['1234567890123456', '-123456789012345', '9223372036854775807']);
  });

  it('plainInteger: digits with an optional minus only', () => {
    expect(['1', '-1', '000', '999999999999999'].every(plainInteger)).toBe(true);
    expect(['', '-', '1e5', '0x1A', ' 5', '5 ', '+5', '1.0', '1234567890123456'].some(plainInteger)).toBe(false);
  });
});
