import * as fc from 'fast-check';
import {
  formPattern,
  isDateText,
  isPostgresForm,
  matchesForm,
  parseFormPattern,
  parseTimeText,
  parseTimestampText,
  utcInstantText,
  zoneOffsetMinutes,
  type DateTimeTextForm,
} from './datetime-text';

const form = (f: Partial<DateTimeTextForm>): DateTimeTextForm => ({ kind: 'timestamp', separator: ' ', fraction: 'shortest', zone: '', ...f });

describe('form patterns', () => {
  it.each<[Partial<DateTimeTextForm>, string]>([
    [{ fraction: 6 }, 'YYYY-MM-DD HH:MM:SS.ffffff'],
    [{ separator: 'T', fraction: 'python', zone: '+00:00' }, 'YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00'],
    [{ fraction: 3, zone: ' +00:00' }, 'YYYY-MM-DD HH:MM:SS.fff +00:00'],
    [{ separator: 'T', fraction: 0, zone: 'Z' }, 'YYYY-MM-DDTHH:MM:SSZ'],
    [{ kind: 'time', fraction: 'shortest' }, 'HH:MM:SS[.f]'],
  ])('%j is written %s and read back', (f, pattern) => {
    expect(formPattern(form(f))).toBe(pattern);
    expect(parseFormPattern(pattern)).toEqual(form(f));
  });

  it('reads back every form it writes', () => {
    const forms = fc.record<DateTimeTextForm>({
      kind: fc.constantFrom('timestamp', 'time'),
      separator: fc.constantFrom(' ', 'T'),
      fraction: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom('shortest', 'python')),
      zone: fc.constantFrom('', 'Z', '+00:00', ' +02:00', '-0330', '+05'),
    });
    fc.assert(
      fc.property(forms, (f) => {
        const normal = f.kind === 'time' ? { ...f, separator: ' ' as const, zone: '' } : f;
        expect(parseFormPattern(formPattern(normal))).toEqual(normal);
      }),
    );
  });

  it('refuses patterns it did not write', () => {
    for (const p of ['', 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS.fffffff', 'YYYY-MM-DD HH:MM:SS+25:00', 'HH:MM:SS+00:00', 'YYYY-MM-DD HH:MM:SS junk']) {
      expect(parseFormPattern(p)).toBeUndefined();
    }
  });

  it("knows PostgreSQL's own form", () => {
    expect(isPostgresForm(form({}))).toBe(true);
    expect(isPostgresForm(form({ separator: 'T' }))).toBe(false);
    expect(isPostgresForm(form({ fraction: 6 }))).toBe(false);
    expect(isPostgresForm(form({ zone: 'Z' }))).toBe(false);
  });
});

describe('reading date-time text as PostgreSQL would', () => {
  it('splits the forms apps write', () => {
    expect(parseTimestampText('2024-01-02T03:04:05.678900+02:00')).toEqual({
      date: '2024-01-02',
      separator: 'T',
      clock: '03:04:05',
      fraction: '678900',
      zone: '+02:00',
    });
    expect(parseTimestampText('2024-01-02 03:04:05.678 +00:00')?.zone).toBe(' +00:00');
    expect(parseTimestampText('2024-01-02 03:04:05')?.fraction).toBe('');
  });

  it.each([
    '2024-02-30 00:00:00', // no such day
    '2023-02-29 00:00:00',
    '0000-01-01 00:00:00', // no year 0 in PostgreSQL
    '2024-01-02 24:00:00', // read as the next day
    '2024-01-02 23:59:60', // read as the next minute
    '2024-01-02 03:04:05.1234567', // rounded to six digits
    '2024-01-02 03:04:05+16:00', // beyond PostgreSQL's offsets
    '2024-01-02 03:04:05 UTC',
    '2024-01-02  03:04:05',
    '2024-01-02 03:04:05.',
    '2024-01-02',
  ])('refuses %s, which PostgreSQL would read otherwise or not at all', (text) => {
    expect(parseTimestampText(text)).toBeUndefined();
  });

  it('reads times and dates', () => {
    expect(parseTimeText('23:59:59.000001')).toEqual({ clock: '23:59:59', fraction: '000001', zone: '' });
    expect(parseTimeText('24:00:00')).toBeUndefined();
    expect(isDateText('2024-02-29')).toBe(true);
    expect(isDateText('2100-02-29')).toBe(false);
  });

  it('reads zones', () => {
    expect([zoneOffsetMinutes('Z'), zoneOffsetMinutes('+02'), zoneOffsetMinutes('-0330'), zoneOffsetMinutes(' +05:45')]).toEqual([0, 120, -210, 345]);
    expect(zoneOffsetMinutes('+1600')).toBeUndefined();
    expect(zoneOffsetMinutes('CET')).toBeUndefined();
  });

  it('tells whether a text is in a form', () => {
    const parts = (t: string) => parseTimestampText(t)!;
    const python = form({ separator: 'T', fraction: 'python' });
    expect(matchesForm(parts('2024-01-02T03:04:05'), python)).toBe(true);
    expect(matchesForm(parts('2024-01-02T03:04:05.500000'), python)).toBe(true);
    expect(matchesForm(parts('2024-01-02T03:04:05.000000'), python)).toBe(false);
    expect(matchesForm(parts('2024-01-02T03:04:05.5'), python)).toBe(false);
    expect(matchesForm(parts('2024-01-02 03:04:05.50'), form({ fraction: 2 }))).toBe(true);
    expect(matchesForm(parts('2024-01-02 03:04:05.50'), form({}))).toBe(false);
  });
});

describe('the UTC instant of a timestamp text', () => {
  const instant = (t: string) => utcInstantText(parseTimestampText(t)!);

  it('is the text itself, as PostgreSQL prints it in UTC, when it has no zone or a zero one', () => {
    expect(instant('2024-01-02 03:04:05.678900')).toBe('2024-01-02 03:04:05.6789+00');
    expect(instant('2024-01-02T03:04:05Z')).toBe('2024-01-02 03:04:05+00');
    expect(instant('2024-01-02 03:04:05.000 +00:00')).toBe('2024-01-02 03:04:05+00');
  });

  it('moves other offsets to UTC, across days and years', () => {
    expect(instant('2024-01-01T01:30:00+02:00')).toBe('2023-12-31 23:30:00+00');
    expect(instant('2024-02-28 23:00:00.5-0130')).toBe('2024-02-29 00:30:00.5+00');
    expect(instant('0050-06-01 12:00:00+01')).toBe('0050-06-01 11:00:00+00');
  });

  it('is undefined when the instant leaves years 1 to 9999', () => {
    expect(instant('0001-01-01 00:30:00+02:00')).toBeUndefined();
  });

  it('agrees with JavaScript dates on random instants and offsets', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }), fc.integer({ min: -15 * 60, max: 15 * 60 }), (at, offset) => {
        const local = new Date(at.getTime() + offset * 60_000).toISOString().slice(0, 19);
        const sign = offset < 0 ? '-' : '+';
        const zone = `${sign}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
        expect(instant(`${local}${zone}`)).toBe(`${at.toISOString().slice(0, 19).replace('T', ' ')}+00`);
      }),
    );
  });
});
