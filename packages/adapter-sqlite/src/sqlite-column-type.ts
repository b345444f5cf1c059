import { type DataPolicies, type DateTimeTextForm, type EpochUnit, type NeutralType } from '@hesap/core';
import { wholeReal, type ColumnStats, type FormStats } from './sqlite-column-profile';
import { isNumericIntent, type DeclaredType } from './sqlite-declared-type';

/**
 * A column's neutral type, decided from its declaration and the counts the profile took
 * (sqlite-column-profile.ts): the nicest type that keeps every value.
 */

/** A value that keeps the column from being loaded as it is; the caller finds its row. */
export interface ColumnProblem {
  code: 'TYPE_MISMATCH' | 'INVALID_TEXT';
  /** SQL condition on the column (`q`) that finds the offending rows. */
  where: string;
  message: string;
}

export interface ColumnDecision {
  type: NeutralType;
  precision?: number;
  scale?: number;
  /** Timestamps written with exactly this many fraction digits. */
  fractionDigits?: number;
  /** Date-time text in a form `fractionDigits` does not describe (`T`, a zone, Python's fraction). */
  textForm?: DateTimeTextForm;
  /** Epoch integers the user mapped to dates (sqlite-epoch.ts). */
  epoch?: EpochUnit;
  /** Why the type differs from what the declaration suggests, for the report. */
  note?: string;
  problem?: ColumnProblem;
  /** Text must go through the UTF-8 repair function (policy `invalidText: replace`). */
  repairText?: boolean;
}

function emptyColumnType(declared: DeclaredType): ColumnDecision {
  switch (declared.intent) {
    case 'integer':
      return { type: 'integer' };
    case 'float':
      return { type: 'float' };
    case 'decimal':
      return { type: 'decimal', precision: declared.precision, scale: declared.scale };
    case 'boolean':
      return { type: 'boolean' };
    case 'timestamp':
      return { type: 'timestamp' };
    case 'date':
      return { type: 'date' };
    case 'time':
      return { type: 'time' };
    case 'json':
      return { type: 'json' };
    case 'uuid':
      return { type: 'uuid' };
    case 'blob':
      return { type: 'bytes' };
    default:
      return declared.affinity === 'INTEGER'
        ? { type: 'integer' }
        : declared.affinity === 'REAL'
          ? { type: 'float' }
          : { type: 'text' };
  }
}

const classesOf = (s: ColumnStats) =>
  [s.integers > 0 && 'INTEGER', s.reals > 0 && 'REAL', s.texts > 0 && 'TEXT', s.blobs > 0 && 'BLOB'].filter(Boolean).join(', ');

/**
 * Picks the neutral type for a column so that every value comes back identical after a
 * round trip through PostgreSQL (value and storage class), and within that the most
 * natural type. The declared type is restored on the way back, so SQLite's affinity
 * turns text such as `'12'` back into the integer it was.
 */
export function decideColumnType(declared: DeclaredType, s: ColumnStats, policies: DataPolicies): ColumnDecision {
  const values = s.integers + s.reals + s.texts + s.blobs;
  if (values === 0) return emptyColumnType(declared);
  const { intent, affinity } = declared;
  const numbers = s.integers + s.reals;
  const typed = `declared ${declared.raw || '(no type)'}`;

  if (s.blobs > 0) {
    if (s.blobs === values) return { type: 'bytes' };
    if (intent === 'text' || affinity === 'TEXT') {
      if (policies.invalidText === 'replace') {
        return { type: 'text', repairText: true, note: `${typed}: BLOB values are read as UTF-8 text, invalid bytes replaced by U+FFFD.` };
      }
      return {
        type: 'text',
        problem: {
          code: 'INVALID_TEXT',
          where: `typeof(q) = 'blob'`,
          message: 'holds a value that is not valid text (a BLOB in a TEXT column)',
        },
      };
    }
    return {
      type: 'bytes',
      problem: {
        code: 'TYPE_MISMATCH',
        where: `typeof(q) <> 'blob'`,
        message: `mixes BLOB with other values (${classesOf(s)}); no single PostgreSQL type keeps them all`,
      },
    };
  }

  const repair = s.nonAscii > 0 && policies.invalidText === 'replace' ? { repairText: true } : {};

  if (s.texts > 0 && numbers > 0) {
    const keepsClasses = affinity === 'INTEGER' || affinity === 'NUMERIC' || affinity === 'REAL';
    if (isNumericIntent(intent) || !keepsClasses) {
      if (policies.typeMismatch === 'text') {
        return {
          type: 'text',
          ...repair,
          note: `${typed} holds ${classesOf(s)} values; loaded as text by --on-type-mismatch text${keepsClasses ? '' : ' (numbers come back as text)'}.`,
        };
      }
      return {
        type: 'text',
        problem: {
          code: 'TYPE_MISMATCH',
          where: isNumericIntent(intent) ? `typeof(q) = 'text'` : `typeof(q) IN ('integer', 'real')`,
          message: isNumericIntent(intent)
            ? `holds text although it is declared ${declared.raw}`
            : `mixes ${classesOf(s)} values in a column without a declared type`,
        },
      };
    }
    return {
      type: 'text',
      ...repair,
      note: `${typed} holds ${classesOf(s)} values; stored as text, and they come back as they were.`,
    };
  }

  if (s.texts > 0) {
    if (isNumericIntent(intent)) {
      if (policies.typeMismatch === 'text') {
        return { type: 'text', ...repair, note: `${typed} holds only text; loaded as text by --on-type-mismatch text.` };
      }
      return {
        type: 'text',
        problem: { code: 'TYPE_MISMATCH', where: `typeof(q) = 'text'`, message: `holds text although it is declared ${declared.raw}` },
      };
    }
    const all = s.fitting === s.texts;
    switch (intent) {
      case 'timestamp': {
        if (all) return { type: 'timestamp' };
        if (s.millis === s.texts) return { type: 'timestamp', precision: 3, fractionDigits: 3 };
        if (s.dates === s.texts) return { type: 'date' };
        const form = s.form && sharedForm(s.form, 'timestamp');
        if (typeof form === 'object') return timestampDecision(form);
        return { type: 'text', ...repair, note: `${typed}: ${form ?? 'not every value is in one form PostgreSQL reproduces'}; stored as text.` };
      }
      case 'time': {
        if (all) return { type: 'time' };
        const form = s.form && sharedForm(s.form, 'time');
        if (typeof form === 'object') return { type: 'time', ...(typeof form.fraction === 'number' ? { precision: form.fraction } : {}), textForm: form };
        return { type: 'text', ...repair, note: `${typed}: ${form ?? 'not every value is valid time'}; stored as text.` };
      }
      case 'date':
      case 'json':
      case 'uuid':
        if (all) return { type: intent };
        return { type: 'text', ...repair, note: `${typed}: not every value is valid ${intent}; stored as text.` };
      case 'boolean':
        return { type: 'text', ...repair, note: `${typed} holds text; stored as text.` };
      default:
        return { type: 'text', ...repair };
    }
  }

  // Only numbers from here on.
  if (s.reals === 0) {
    if (intent === 'boolean' && s.fitting === s.integers) return { type: 'boolean' };
    if (intent === 'decimal' && declared.precision !== undefined && s.fitting === numbers) {
      return { type: 'decimal', precision: declared.precision, scale: declared.scale };
    }
    if (intent === 'timestamp' || intent === 'date' || intent === 'time') {
      return { type: 'integer', note: `${typed} holds integers; kept as integers. If they are epoch milliseconds or seconds (Knex, Prisma, Drizzle), \`epochDates\` turns them into dates.` };
    }
    if (intent === 'boolean') return { type: 'integer', note: `${typed} holds integers other than 0 and 1; kept as integers.` };
    return { type: 'integer' };
  }
  if (intent === 'decimal' && declared.precision !== undefined && s.fitting === numbers) {
    return { type: 'decimal', precision: declared.precision, scale: declared.scale };
  }
  if (s.integers === 0) {
    if (intent === 'decimal') {
      return declared.precision !== undefined
        ? { type: 'float', note: `${typed}: some values do not fit exactly; stored as double precision.` }
        : { type: 'decimal' };
    }
    return { type: 'float' };
  }
  // Integers and reals together: an exact decimal keeps both, as long as no REAL value
  // is integral in a column without numeric affinity (it would come back as an integer).
  if (affinity === 'BLOB' && s.integralReals > 0) {
    if (policies.typeMismatch === 'text') {
      return { type: 'text', note: `${typed} mixes INTEGER and REAL values; loaded as text by --on-type-mismatch text.` };
    }
    return {
      type: 'decimal',
      problem: {
        code: 'TYPE_MISMATCH',
        where: `typeof(q) = 'real' AND ${wholeReal('q')}`,
        message: 'mixes INTEGER and whole-number REAL values in a column without a declared type',
      },
    };
  }
  return {
    type: 'decimal',
    note: intent === 'decimal' ? undefined : `${typed} holds both INTEGER and REAL values; stored as numeric, exactly.`,
  };
}

/**
 * The one form every value of a date-time column is written in, or why there is none. Mixes
 * are taken only where a known writer makes them: Python leaves out a zero fraction. With
 * `python`, the column is known to be written by Python's `str()`/`isoformat()`, whose form
 * is taken whenever every value is in it (values all without a fraction, or all with six
 * digits, are in more than one form: the writer's is the one later values will be in).
 */
export function sharedForm(f: FormStats, kind: 'timestamp' | 'time', python = false): DateTimeTextForm | string {
  if (f.valid !== f.texts) return 'not every value is a date and time PostgreSQL reads as written';
  if (f.separators[0] !== f.separators[1]) return "some values have a 'T' between date and time and some a space";
  if (f.zones[0] !== f.zones[1]) {
    return f.zones[0] === ''
      ? 'some values have a time zone and some do not'
      : 'the values have different time zones (PostgreSQL keeps the instant, not the offset it was written with)';
  }
  const [fewest, most] = f.digits;
  // Six digits or none, never six zeros.
  const inPython = [0, 6].includes(fewest) && [0, 6].includes(most) && f.someDigits === 0 && f.zeroFraction === 0;
  let fraction: DateTimeTextForm['fraction'];
  if (python && inPython) fraction = 'python';
  else if (fewest === most) fraction = most;
  else if (f.trailingZero === 0) fraction = 'shortest';
  else if (inPython) fraction = 'python';
  else return 'the values have different numbers of fraction digits';
  return { kind, separator: kind === 'time' ? ' ' : (f.separators[0] as ' ' | 'T'), fraction, zone: f.zones[0] };
}

function timestampDecision(form: DateTimeTextForm): ColumnDecision {
  const precision = typeof form.fraction === 'number' ? { precision: form.fraction } : {};
  // The form fractionDigits already says (TypeORM's) is recorded as it always was.
  if (form.separator === ' ' && form.zone === '' && typeof form.fraction === 'number') return { type: 'timestamp', ...precision, fractionDigits: form.fraction };
  return { type: form.zone === '' ? 'timestamp' : 'timestamptz', ...precision, textForm: form };
}

/** Python's `str()` of a naive datetime: a space, six fraction digits or none when they are zero. */
const PYTHON_STR: DateTimeTextForm = { kind: 'timestamp', separator: ' ', fraction: 'python', zone: '' };

/**
 * A column Django declared `datetime` (a DateTimeField): Django makes it `timestamptz` in
 * PostgreSQL, and with USE_TZ (its default) writes UTC in SQLite as Python's `str()` spells it,
 * without a zone. Where the declaration alone would give `timestamp`, the column becomes
 * `timestamptz`, each value read as UTC, and its form is recorded (Django's own when every
 * value is in it, and for a column without values), so a pull writes the text back without a
 * zone. Anything else (text, dates) is decided as for any column.
 */
export function decideDjangoDateTime(declared: DeclaredType, s: ColumnStats, policies: DataPolicies): ColumnDecision {
  const decision = decideColumnType(declared, s, policies);
  if (decision.type !== 'timestamp' || decision.problem) return decision;
  const measured = s.form && sharedForm(s.form, 'timestamp', true);
  const form: DateTimeTextForm =
    typeof measured === 'object'
      ? measured
      : s.texts === 0
        ? PYTHON_STR
        : (decision.textForm ?? { kind: 'timestamp', separator: ' ', fraction: decision.fractionDigits ?? 'shortest', zone: '' });
  return { type: 'timestamptz', ...(typeof form.fraction === 'number' ? { precision: form.fraction } : {}), textForm: form };
}
