import * as fc from 'fast-check';
import { DEFAULT_CAPABILITIES, DEFAULT_POLICIES } from './contract';
import { EPOCH_RANGE, epochOfText } from './epoch-dates';
import { HesapError } from './errors';
import { checkCompatible, planLoad } from './planner';
import type { Column, NeutralType, Table } from './schema';

const col = (name: string, type: NeutralType = 'integer', extra: Partial<Column> = {}): Column => ({ name, type, declaredType: type, nullable: true, ...extra });
const events = (at: Column): Table => ({ name: 'events', columns: [col('id'), at], primaryKey: { columns: ['id'] }, uniques: [], foreignKeys: [], indexes: [] });

/** The text PostgreSQL prints for the instant of `ms` (a timestamptz in UTC, shortest fraction). */
function printed(ms: number): string {
  const iso = new Date(ms).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}+00`;
}

describe('epochOfText', () => {
  it('gives back every epoch millisecond of years 1 to 9999 from the text PostgreSQL prints for it', () => {
    const [lo, hi] = EPOCH_RANGE.ms.map(Number) as [number, number];
    fc.assert(fc.property(fc.integer({ min: lo, max: hi }), (ms) => epochOfText(printed(ms), 'ms') === BigInt(ms)), { numRuns: 2000 });
    for (const ms of [lo, hi, 0, -1, 1]) expect(epochOfText(printed(ms), 'ms')).toBe(BigInt(ms));
  });

  it('gives seconds where the fraction is zero, and reads any zone as the instant', () => {
    expect(epochOfText('1969-12-31 00:00:00+00', 's')).toBe(-86400n);
    expect(epochOfText('0001-01-01 00:00:00', 's')).toBe(EPOCH_RANGE.s[0]);
    expect(epochOfText('2024-07-01T10:00:00.000+02:00', 's')).toBe(1719820800n);
    expect(epochOfText('2024-07-01 08:00:00.5+00', 's')).toBeUndefined();
  });

  it('has no integer for what the unit cannot hold exactly', () => {
    expect(['2024-01-02 03:04:05.123456+00', '2024-01-02 03:04:05.1234+00', 'infinity', '10000-01-01 00:00:00+00', '0001-12-31 23:59:59+00 BC', 'nonsense'].map((t) => epochOfText(t, 'ms'))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(epochOfText('9999-12-31 23:59:59.999-01:00', 'ms')).toBeUndefined();
  });
});

describe('epoch integers meeting an existing column', () => {
  const epoch = events(col('at', 'timestamptz', { epoch: 'ms', precision: 3 }));

  it('go into timestamptz, timestamp and integer columns, read as each one holds them', () => {
    const readAs = (type: NeutralType) => {
      const existing = events(col('at', type));
      const schema = (t: Table) => ({ dialect: 'test', tables: [t], views: [], notes: [] });
      const capabilities = { ...DEFAULT_CAPABILITIES, target: true };
      const plan = planLoad({ source: schema(epoch), target: schema(existing), tables: [epoch], mode: 'replace', capabilities, policies: DEFAULT_POLICIES });
      const at = plan.tables[0]!.source.columns[1]!;
      return [at.type, at.epoch];
    };
    expect([readAs('timestamptz'), readAs('timestamp'), readAs('integer')]).toEqual([
      ['timestamptz', 'ms'],
      ['timestamp', 'ms'],
      ['integer', undefined],
    ]);
    expect(() => checkCompatible(epoch, events(col('at', 'date')))).toThrow(/is date in the target but timestamptz/);
  });

  it('unmapped, are refused for a date-time column with a hint naming `epochDates`', () => {
    const refusal = (type: NeutralType) => {
      try {
        checkCompatible(events(col('at')), events(col('at', type)));
      } catch (error) {
        return error as HesapError;
      }
      throw new Error('not refused');
    };
    const error = refusal('timestamptz');
    expect(error.message).toContain('column "at" is timestamptz in the target but integer in the source');
    expect(error.hints[0]).toContain("`epochDates: 'ms'`");
    expect(error.hints[0]).toContain("`epochDates: { 'events.at': 'ms' }`");
    expect(refusal('bytes').hints).toHaveLength(1);
  });
});
