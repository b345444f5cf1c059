import { Readable } from 'node:stream';
import type { Column, Table } from './schema';
import { checkTargetValues, targetValueTests, valueTest } from './target-values';
import { HesapError } from './errors';

const col = (c: Partial<Column>): Column => ({ name: 'c', type: 'text', declaredType: '', nullable: true, ...c });

/** The verdicts of the test for `source` into `target` on each text: undefined (goes in) or the reason. */
function verdicts(source: Partial<Column>, target: Partial<Column>, texts: string[]): Array<string | undefined> {
  const test = valueTest(col(source), col(target));
  return texts.map((t) => test?.(t));
}

describe('valueTest', () => {
  it('needs no test where every value goes in as it is', () => {
    expect(valueTest(col({ type: 'boolean' }), col({ type: 'boolean' }))).toBeUndefined();
    expect(valueTest(col({ type: 'integer' }), col({ type: 'integer' }))).toBeUndefined();
    expect(valueTest(col({ type: 'text' }), col({ type: 'text' }))).toBeUndefined();
    expect(valueTest(col({ type: 'timestamp' }), col({ type: 'timestamptz' }))).toBeUndefined();
    expect(valueTest(col({ type: 'json' }), col({ type: 'json' }))).toBeUndefined();
    expect(valueTest(col({ type: 'uuid' }), col({ type: 'uuid' }))).toBeUndefined();
  });

  it('takes 0 and 1 into a boolean, nothing else', () => {
    expect(verdicts({ type: 'integer' }, { type: 'boolean' }, ['0', '1', '2', '-1'])).toEqual([undefined, undefined, expect.stringMatching(/0 and 1/), expect.any(String)]);
  });

  it('keeps integers within smallint and integer', () => {
    const into = (bytes: 2 | 4) => ({ type: 'integer' as const, byteSize: bytes, declaredType: bytes === 2 ? 'smallint' : 'integer' });
    expect(verdicts({ type: 'integer' }, into(2), ['32767', '-32768', '32768'])).toEqual([undefined, undefined, expect.stringMatching(/16-bit range of smallint/)]);
    expect(verdicts({ type: 'integer' }, into(4), ['2147483647', '-2147483649'])).toEqual([undefined, expect.stringMatching(/32-bit/)]);
  });

  it('needs no test for a source whose counted width the target holds', () => {
    const int = (bytes?: 2 | 4) => col({ type: 'integer', byteSize: bytes, declaredType: 'integer' });
    expect(valueTest(int(4), int(4))).toBeUndefined();
    expect(valueTest(int(2), int(4))).toBeUndefined();
    expect(verdicts({ type: 'integer', byteSize: 4 }, { type: 'integer', byteSize: 2, declaredType: 'smallint' }, ['32768'])).toEqual([expect.stringMatching(/16-bit/)]);
    expect(verdicts({ type: 'integer' }, { type: 'integer', byteSize: 4, declaredType: 'integer' }, ['2147483648'])).toEqual([expect.stringMatching(/32-bit/)]);
    const text = (maxLength?: number, fixedLength?: boolean) => col({ type: 'text', maxLength, fixedLength });
    expect(valueTest(text(100), text(255))).toBeUndefined();
    expect(valueTest(text(2, true), text(2, true))).toBeUndefined();
    expect(valueTest(text(2, true), text(3))).toBeUndefined();
    expect(verdicts({ type: 'text', maxLength: 10 }, { type: 'text', maxLength: 5 }, ['abcdef'])).toEqual([expect.any(String)]);
    expect(verdicts({ type: 'text', maxLength: 2 }, { type: 'text', maxLength: 2, fixedLength: true }, ['a'])).toEqual([expect.stringMatching(/pads/)]);
    expect(verdicts({ type: 'text', maxLength: 2, fixedLength: true }, { type: 'text', maxLength: 3, fixedLength: true }, ['ab'])).toEqual([expect.stringMatching(/pads/)]);
  });

  it('keeps numbers exact in double precision, real and numeric(p,s)', () => {
    expect(verdicts({ type: 'integer' }, { type: 'float' }, ['9007199254740992', '9007199254740993'])).toEqual([undefined, expect.any(String)]);
    expect(verdicts({ type: 'decimal' }, { type: 'float' }, ['0.1', '0.10000000000000000001'])).toEqual([undefined, expect.any(String)]);
    expect(verdicts({ type: 'float' }, { type: 'float', byteSize: 4 }, ['0.5', '0.1', 'Infinity'])).toEqual([undefined, expect.any(String), undefined]);
    const money = { type: 'decimal' as const, precision: 10, scale: 2, declaredType: 'numeric(10,2)' };
    expect(verdicts({ type: 'float' }, money, ['12.5', '12.50', '1e2', '12.345', '123456789', '-0.01', 'NaN'])).toEqual([
      undefined,
      undefined,
      undefined,
      expect.stringMatching(/after the point/),
      expect.stringMatching(/before the point/),
      undefined,
      expect.any(String),
    ]);
  });

  it('reads no value where the declared digits of the source column already fit (a push into a table like its own)', () => {
    const money = { type: 'decimal' as const, precision: 10, scale: 2, declaredType: 'numeric(10,2)' };
    expect(valueTest(col({ type: 'decimal', precision: 10, scale: 2 }), col(money))).toBeUndefined();
    expect(valueTest(col({ type: 'decimal', precision: 8, scale: 1 }), col(money))).toBeUndefined();
    expect(verdicts({ type: 'decimal', precision: 12, scale: 2 }, money, ['12.5', '123456789012'])).toEqual([undefined, expect.stringMatching(/before the point/)]);
    expect(verdicts({ type: 'decimal', precision: 10, scale: 3 }, money, ['1.234'])).toEqual([expect.stringMatching(/after the point/)]);
    const ms = { type: 'timestamp' as const, precision: 3, declaredType: 'timestamp(3) without time zone' };
    expect(valueTest(col({ type: 'timestamp', precision: 3 }), col(ms))).toBeUndefined();
    expect(verdicts({ type: 'timestamp', precision: 6 }, ms, ['2024-01-02 03:04:05.1234'])).toEqual([expect.stringMatching(/rounded/)]);
    expect(verdicts({ type: 'timestamptz', precision: 3 }, ms, ['2024-01-02 03:04:05.123+02'])).toEqual([expect.stringMatching(/drop/)]);
  });

  it('keeps text within varchar(n) and refuses what char(n) would pad, counting characters', () => {
    expect(verdicts({ type: 'text' }, { type: 'text', maxLength: 3 }, ['abc', 'äöü', '😀😀😀', 'abcd', 'ab '])).toEqual([undefined, undefined, undefined, expect.any(String), undefined]);
    expect(verdicts({ type: 'text' }, { type: 'text', maxLength: 3, fixedLength: true }, ['abc', 'ab'])).toEqual([undefined, expect.stringMatching(/pads/)]);
  });

  it('takes date-time text PostgreSQL reads as written, and no zone into a column without one', () => {
    const naive = { type: 'timestamp' as const, declaredType: 'timestamp without time zone' };
    const tz = { type: 'timestamptz' as const, declaredType: 'timestamp with time zone' };
    const texts = ['2024-01-02T03:04:05.678900', '2024-01-02', '2024-01-02 03:04:05+02:00', '2024-02-30 00:00:00', '2024-01-02 24:00:00'];
    expect(verdicts({ type: 'text' }, naive, texts)).toEqual([undefined, undefined, expect.stringMatching(/drop/), expect.any(String), expect.any(String)]);
    expect(verdicts({ type: 'text' }, tz, texts)).toEqual([undefined, undefined, undefined, expect.any(String), expect.any(String)]);
    const ms = { ...naive, precision: 3, declaredType: 'timestamp(3) without time zone' };
    expect(verdicts({ type: 'timestamp' }, ms, ['2024-01-02 03:04:05.123', '2024-01-02 03:04:05.1234', '2024-01-02 03:04:05.123000'])).toEqual([undefined, expect.stringMatching(/rounded/), undefined]);
    // A timestamptz source (Django's UTC text has no zone, Sequelize's has one) into a column without zone.
    expect(verdicts({ type: 'timestamptz' }, naive, ['2024-01-02 03:04:05.678900', '2024-01-02 03:04:05.678 +00:00'])).toEqual([undefined, expect.stringMatching(/drop/)]);
    expect(verdicts({ type: 'timestamptz' }, ms, ['2024-01-02 03:04:05.1234'])).toEqual([expect.stringMatching(/rounded/)]);
  });

  it('takes JSON into json and jsonb, and what jsonb keeps only', () => {
    expect(verdicts({ type: 'text' }, { type: 'json' }, ['{"a": 1, "a": 2}', '{x}'])).toEqual([undefined, expect.stringMatching(/not valid JSON/)]);
    expect(verdicts({ type: 'json' }, { type: 'json', jsonParsed: true }, ['{"a": 1}', '{"a": 1, "a": 2}', '"\\u0000"'])).toEqual([undefined, expect.stringMatching(/twice/), expect.stringMatching(/refuses/)]);
  });

  it('takes UUIDs with or without hyphens, in either case', () => {
    expect(verdicts({ type: 'text' }, { type: 'uuid' }, ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'A0EEBC999C0B4EF8BB6D6BB9BD380A11', 'a0eebc99', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'])).toEqual([
      undefined,
      undefined,
      expect.any(String),
      expect.any(String),
    ]);
  });
});

describe('checkTargetValues', () => {
  const table: Table = {
    name: 'users',
    columns: [col({ name: 'id', type: 'integer' }), col({ name: 'active', type: 'integer' }), col({ name: 'note', type: 'text' })],
    primaryKey: { columns: ['id'] },
    uniques: [],
    foreignKeys: [],
    indexes: [],
  };
  const existing: Table = { ...table, columns: [col({ name: 'id', type: 'integer' }), col({ name: 'active', type: 'boolean' }), col({ name: 'note', type: 'text' })] };

  it('reads only the key and the tested columns, and names the first failing row and value', async () => {
    const asked: string[][] = [];
    const read = (t: Table) => {
      asked.push(t.columns.map((c) => c.name));
      return Readable.from([Buffer.from('1,1\n2,0\n'), Buffer.from('3,2\n4,7\n')]);
    };
    const tests = targetValueTests({ source: table, target: table, existing });
    const error = (await checkTargetValues(read, table, tests).catch((e: unknown) => e)) as HesapError;
    expect(asked).toEqual([['id', 'active']]);
    expect(error).toBeInstanceOf(HesapError);
    expect([error.code, error.table, error.column, error.row]).toEqual(['VALUE_UNREPRESENTABLE', 'users', 'active', 'id=3']);
    expect(error.message).toContain('"2"');
  });

  it('reads nothing when no column needs a test', async () => {
    const read = jest.fn();
    await checkTargetValues(read, table, targetValueTests({ source: table, target: table, existing: table }));
    expect(read).not.toHaveBeenCalled();
  });
});
