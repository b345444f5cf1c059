import type { Column } from '@hesap/core';
import { decoderFor } from './sqlite-table-writer';

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
