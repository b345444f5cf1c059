/**
 * Dates and times written as text. SQLite has no such types, so every ORM writes its own
 * spelling (SQLAlchemy and Rails `2024-01-02 03:04:05.678900`, TypeORM `.678`, Python's
 * `isoformat()` `2024-01-02T03:04:05` with the fraction left out when it is zero, Sequelize
 * `2024-01-02 03:04:05.678 +00:00`). PostgreSQL reads them all and prints its own; the form a
 * column was written in is recorded, so a value comes back as the very text it was.
 */

/** How the values of one column are spelled. */
export interface DateTimeTextForm {
  /** `timestamp`: a date and a time of day; `time`: a time of day alone. */
  kind: 'timestamp' | 'time';
  /** Between date and time (`timestamp` only). */
  separator: ' ' | 'T';
  /**
   * Fraction digits: a fixed count (0-6, trailing zeros kept: `.500`); `shortest` (as PostgreSQL
   * prints: trailing zeros dropped, no point when zero); `python` (six digits, or none at all
   * when the fraction is zero, as `isoformat()` and `str()` write it).
   */
  fraction: number | 'shortest' | 'python';
  /**
   * The zone every value ends with, verbatim (`Z`, `+00:00`, ` +02:00`), or `''`. A column has
   * one zone or none: PostgreSQL keeps the instant, not the offset it was written with.
   */
  zone: string;
}

/** PostgreSQL's own output for `timestamp`/`time`: nothing to record, nothing to restore. */
export function isPostgresForm(form: DateTimeTextForm): boolean {
  return (form.kind === 'time' || form.separator === ' ') && form.fraction === 'shortest' && form.zone === '';
}

const CLOCK = 'HH:MM:SS';

/**
 * The form as a pattern, which is how it is recorded (in a PostgreSQL column comment):
 * `YYYY-MM-DD HH:MM:SS.ffffff`, `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00` (Python: fraction only
 * when not zero), `HH:MM:SS[.f]` (the shortest fraction).
 */
export function formPattern(form: DateTimeTextForm): string {
  const head = form.kind === 'time' ? CLOCK : `YYYY-MM-DD${form.separator}${CLOCK}`;
  const fraction =
    form.fraction === 'shortest' ? '[.f]' : form.fraction === 'python' ? '[.ffffff]' : form.fraction === 0 ? '' : `.${'f'.repeat(form.fraction)}`;
  return head + fraction + form.zone;
}

const PATTERN = /^(?:YYYY-MM-DD([ T]))?HH:MM:SS(\[\.f\]|\[\.ffffff\]|\.f{1,6})?(.*)$/s;

/** Reads a pattern written by {@link formPattern}; undefined for anything else. */
export function parseFormPattern(pattern: string): DateTimeTextForm | undefined {
  const m = PATTERN.exec(pattern);
  if (!m) return undefined;
  const kind = m[1] === undefined ? 'time' : 'timestamp';
  const zone = m[3]!;
  if (zone !== '' && (kind === 'time' || zoneOffsetMinutes(zone) === undefined)) return undefined;
  const f = m[2];
  const fraction = f === undefined ? 0 : f === '[.f]' ? 'shortest' : f === '[.ffffff]' ? 'python' : f.length - 1;
  return { kind, separator: (m[1] as ' ' | 'T' | undefined) ?? ' ', fraction, zone };
}

/** A timestamp or time of day read from text, each part as written. */
export interface DateTimeParts {
  /** `YYYY-MM-DD`, absent for a time of day. */
  date?: string;
  separator?: ' ' | 'T';
  /** `HH:MM:SS`. */
  clock: string;
  /** The fraction's digits as written (`''` when there is none). */
  fraction: string;
  /** The zone as written, leading space included (`''` when there is none). */
  zone: string;
}

const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})([ T])(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(.*)$/s;
const TIME_TEXT = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const ZONE = /^ ?(?:Z|([+-])(\d{2})(?::?(\d{2}))?)$/;

/** Minutes east of UTC for a zone as apps write it (`Z`, `+02`, `+0200`, `+02:00`, one space before); undefined when it is not one. */
export function zoneOffsetMinutes(zone: string): number | undefined {
  const m = ZONE.exec(zone);
  if (!m) return undefined;
  if (m[1] === undefined) return 0;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? 0);
  // PostgreSQL takes offsets up to 15:59.
  if (hours > 15 || minutes > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function validDate(y: number, mo: number, d: number): boolean {
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  return d <= days;
}

const validClock = (h: number, mi: number, s: number) => h <= 23 && mi <= 59 && s <= 59;

/**
 * Splits a timestamp text into its parts when PostgreSQL reads it as exactly the value it
 * spells: a date that exists (year 1 to 9999), hours 0-23 (PostgreSQL reads `24:00:00` as the
 * next day), seconds below 60, at most six fraction digits (more are rounded), and a zone
 * PostgreSQL reads the same way. Undefined for anything else.
 */
export function parseTimestampText(text: string): DateTimeParts | undefined {
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) return undefined;
  if (!validDate(Number(m[1]), Number(m[2]), Number(m[3])) || !validClock(Number(m[5]), Number(m[6]), Number(m[7]))) return undefined;
  const zone = m[9]!;
  if (zone !== '' && zoneOffsetMinutes(zone) === undefined) return undefined;
  return { date: `${m[1]}-${m[2]}-${m[3]}`, separator: m[4] as ' ' | 'T', clock: `${m[5]}:${m[6]}:${m[7]}`, fraction: m[8] ?? '', zone };
}

/** A time of day (`HH:MM:SS[.ffffff]`, no zone) that PostgreSQL reads as exactly what it spells. */
export function parseTimeText(text: string): DateTimeParts | undefined {
  const m = TIME_TEXT.exec(text);
  if (!m || !validClock(Number(m[1]), Number(m[2]), Number(m[3]))) return undefined;
  return { clock: `${m[1]}:${m[2]}:${m[3]}`, fraction: m[4] ?? '', zone: '' };
}

/** A date (`YYYY-MM-DD`) that exists, years 1 to 9999. */
export function isDateText(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m !== null && validDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** True when `text` is spelled exactly as `form` spells its value. */
export function matchesForm(parts: DateTimeParts, form: DateTimeTextForm): boolean {
  if (parts.zone !== form.zone || (form.kind === 'timestamp' && parts.separator !== form.separator)) return false;
  const f = parts.fraction;
  if (form.fraction === 'shortest') return !f.endsWith('0');
  if (form.fraction === 'python') return f === '' || (f.length === 6 && f !== '000000');
  return f.length === form.fraction;
}

const trimFraction = (digits: string) => digits.replace(/0+$/, '');

/**
 * The instant a timestamp text names, as PostgreSQL prints a `timestamptz` in UTC
 * (`2024-01-02 01:04:05.6789+00`); a text without a zone is read as UTC (hesap's sessions run
 * in UTC). Undefined when the text is not a timestamp or the instant leaves years 1-9999.
 */
export function utcInstantText(parts: DateTimeParts): string | undefined {
  if (parts.date === undefined) return undefined;
  const fraction = trimFraction(parts.fraction);
  const tail = `${fraction ? `.${fraction}` : ''}+00`;
  const offset = parts.zone === '' ? 0 : zoneOffsetMinutes(parts.zone);
  if (offset === undefined) return undefined;
  if (offset === 0) return `${parts.date} ${parts.clock}${tail}`;
  const [y, mo, d] = parts.date.split('-').map(Number) as [number, number, number];
  const [h, mi, s] = parts.clock.split(':').map(Number) as [number, number, number];
  const at = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  at.setUTCFullYear(y, mo - 1, d);
  at.setUTCHours(h, mi - offset, s, 0);
  const year = at.getUTCFullYear();
  if (year < 1 || year > 9999) return undefined;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(year, 4)}-${p(at.getUTCMonth() + 1)}-${p(at.getUTCDate())} ${p(at.getUTCHours())}:${p(at.getUTCMinutes())}:${p(at.getUTCSeconds())}${tail}`;
}
