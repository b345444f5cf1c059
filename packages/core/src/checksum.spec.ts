import * as fc from 'fast-check';
import { canonicalField, canonicalRow, ContentChecksum, isPlainDecimal, rowDigest } from './checksum';
import type { CsvRow } from './csv/csv-parser';
import type { NeutralType } from './schema';

const TYPES: NeutralType[] = ['integer', 'text', 'decimal', 'boolean', 'bytes'];

const field = fc.oneof(fc.constant(null), fc.constant(''), fc.string({ maxLength: 6 }).filter((s) => !s.includes('\u0000')));
const row = fc.tuple(
  fc.oneof(fc.constant(null), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)),
  field,
  fc.oneof(fc.constant(null), fc.integer({ min: -100000, max: 100000 }).map((n) => (n / 100).toFixed(2))),
  fc.oneof(fc.constant(null), fc.constantFrom('t', 'f')),
  fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 4 }).map((b) => '\\x' + Buffer.from(b).toString('hex'))),
) as fc.Arbitrary<CsvRow>;

function digestOf(rows: readonly CsvRow[], types: readonly NeutralType[] = TYPES): string {
  const sum = new ContentChecksum(types);
  for (const r of rows) sum.add(r);
  return sum.digest();
}

/** A value of each type, for a NULL that changes. */
const NEW_VALUE: Partial<Record<NeutralType, string>> = {
  integer: '12345',
  text: 'changed',
  decimal: '98765.43',
  boolean: 't',
  bytes: '\\xdeadbeef',
};

/** A different value of the same type (never only a different spelling). */
function changeValue(text: string, type: NeutralType): string | null {
  switch (type) {
    case 'integer':
      return (BigInt(text) + 1n).toString();
    case 'decimal':
      return text + '1';
    case 'boolean':
      return text === 't' ? 'f' : 't';
    case 'bytes':
      return text + '00';
    default:
      return text + '!';
  }
}

const lanesOf = (digest: string) => digest.split(':')[1];

describe('canonicalField', () => {
  it('marks NULL apart from the empty string', () => {
    expect(canonicalField(null, 'text')).not.toBe(canonicalField('', 'text'));
    expect(canonicalField(null, 'text')).toBe('\u0000N');
    expect(canonicalField('', 'text')).toBe('');
  });

  it('keeps text, json and other text-like types byte for byte', () => {
    expect(canonicalField(' A b ', 'text')).toBe(' A b ');
    expect(canonicalField('{"a": 1}', 'json')).toBe('{"a": 1}');
    expect(canonicalField('{"a":1}', 'json')).not.toBe(canonicalField('{"a": 1}', 'json'));
    expect(canonicalField('ABC', 'text')).not.toBe(canonicalField('abc', 'text'));
  });

  describe('decimal', () => {
    it.each([
      ['2.50', '2.5'],
      ['2.5000', '2.5'],
      ['+2.5', '2.5'],
      ['007', '7'],
      ['-007.10', '-7.1'],
      ['100.00', '100'],
      ['100.', '100'],
      ['-0.000', '0'],
      ['-0', '0'],
      ['0.0', '0'],
      ['1e2', '100'],
      ['NaN', 'NaN'],
    ])('treats %p and %p as the same value', (a, b) => {
      expect(canonicalField(a, 'decimal')).toBe(canonicalField(b, 'decimal'));
    });

    it.each([
      ['2.5', '2.51'],
      ['100', '1'],
      ['10', '1.0'],
      ['-1', '1'],
      ['0.5', '5'],
      ['12345678901234567890.123456789', '12345678901234567890.12345679'],
    ])('keeps %p and %p apart', (a, b) => {
      expect(canonicalField(a, 'decimal')).not.toBe(canonicalField(b, 'decimal'));
    });

    it('takes the shortcut only for texts already in canonical form', () => {
      const decimalish = fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '-', '+', 'e', ' '), maxLength: 8 });
      fc.assert(
        fc.property(decimalish, (t) => {
          if (isPlainDecimal(t)) expect(canonicalField(t, 'decimal')).toBe(t);
        }),
        { numRuns: 20_000 },
      );
      // and it is taken for the canonical form of ordinary values
      fc.assert(
        fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 4 }), (n, scale) => {
          const canonical = canonicalField((n / 10 ** scale).toFixed(scale), 'decimal');
          expect(isPlainDecimal(canonical)).toBe(true);
        }),
      );
      for (const t of ['-0', '-0.0', '00', '01', '1.', '.5', '1.50', '', '-', '+1', '1e2', ' 1']) expect(isPlainDecimal(t)).toBe(false);
      for (const t of ['0', '-0.5', '10', '10.01', '-7.1']) expect(isPlainDecimal(t)).toBe(true);
    });

    it('gives the plain digits for a plain decimal', () => {
      expect(canonicalField('002.50', 'decimal')).toBe('2.5');
      expect(canonicalField('-0.50', 'decimal')).toBe('-0.5');
    });

    // BUG (checksum.ts, canonicalDecimal): a decimal written with an exponent goes through a
    // double and formatFloat, which writes an exponent again for |x| < 1e-6 or >= 1e21, while
    // the same value without an exponent keeps its plain digits. SQLite prints REAL values in
    // decimal columns as '1.5e-07' / '1.0e+30'; PostgreSQL numeric prints '0.00000015' /
    // '1000000000000000000000000000000'. Equal values, different canonical text: verify reports
    // a difference. Actual: '1.5e-7' vs '0.00000015', '1e+30' vs '1000000000000000000000000000000'.
    it('treats exponent and plain spellings of the same value as equal (1.5e-07 = 0.00000015)', () => {
      expect(canonicalField('1.5e-07', 'decimal')).toBe(canonicalField('0.00000015', 'decimal'));
      expect(canonicalField('1.0e+30', 'decimal')).toBe(canonicalField('1000000000000000000000000000000', 'decimal'));
    });

    // BUG (same cause): going through a double also makes different exact decimals equal,
    // against "never of value". Actual: both give '1'.
    it('keeps a decimal written with an exponent apart from a different value', () => {
      expect(canonicalField('1.00000000000000000001e0', 'decimal')).not.toBe(canonicalField('1', 'decimal'));
    });
  });

  describe('float', () => {
    it('canonicalises spellings of one double', () => {
      expect(canonicalField('1.50', 'float')).toBe('1.5');
      expect(canonicalField('1.5e0', 'float')).toBe('1.5');
      expect(canonicalField('1.0e+30', 'float')).toBe(canonicalField('1e+30', 'float'));
      expect(canonicalField('-0', 'float')).toBe('-0');
      expect(canonicalField('Infinity', 'float')).toBe('Infinity');
    });

    it('keeps -0 apart from 0 and neighbouring doubles apart', () => {
      expect(canonicalField('-0', 'float')).not.toBe(canonicalField('0', 'float'));
      expect(canonicalField('0.1', 'float')).not.toBe(canonicalField('0.10000000000000002', 'float'));
    });
  });

  describe('boolean', () => {
    it('maps every true spelling to t and false spellings to f', () => {
      for (const t of ['t', 'true', 'TRUE', '1', 'y', 'yes', 'on', ' t ']) expect(canonicalField(t, 'boolean')).toBe('t');
      for (const f of ['f', 'false', 'FALSE', '0', 'n', 'no', 'off']) expect(canonicalField(f, 'boolean')).toBe('f');
    });
  });

  describe('bytes', () => {
    it('ignores the case of hex digits but not the bytes', () => {
      expect(canonicalField('\\xAB', 'bytes')).toBe(canonicalField('\\xab', 'bytes'));
      expect(canonicalField('\\xab', 'bytes')).not.toBe(canonicalField('\\xac', 'bytes'));
      expect(canonicalField('\\xab', 'bytes')).not.toBe(canonicalField('\\xab00', 'bytes'));
    });
  });

  describe('integer', () => {
    it('removes a plus sign and leading zeros', () => {
      expect(canonicalField('+5', 'integer')).toBe('5');
      expect(canonicalField('007', 'integer')).toBe('7');
      expect(canonicalField('-007', 'integer')).toBe('-7');
      expect(canonicalField('0', 'integer')).toBe('0');
    });

    it('skips the regular expression only where it could not match', () => {
      fc.assert(
        fc.property(fc.string({ unit: fc.constantFrom('0', '1', '+', '-', ' '), maxLength: 5 }), (t) => {
          let expected = t;
          try {
            expected = /^[+-]?0\d|^\+/.test(t) ? BigInt(t).toString() : t;
          } catch {
            expect(() => canonicalField(t, 'integer')).toThrow();
            return;
          }
          expect(canonicalField(t, 'integer')).toBe(expected);
        }),
        { numRuns: 5_000 },
      );
    });

    it('keeps big integers exact', () => {
      expect(canonicalField('9223372036854775807', 'integer')).toBe('9223372036854775807');
      expect(canonicalField('9223372036854775807', 'integer')).not.toBe(canonicalField('9223372036854775806', 'integer'));
    });
  });
});

describe('canonicalRow', () => {
  it('joins canonical fields so that field boundaries cannot be confused', () => {
    const types: NeutralType[] = ['text', 'text'];
    expect(canonicalRow(['a,b', 'c'], types)).not.toBe(canonicalRow(['a', 'b,c'], types));
    expect(canonicalRow(['a', ''], types)).not.toBe(canonicalRow(['a', null], types));
    expect(canonicalRow(['2.50', 't'], ['decimal', 'boolean'])).toBe(canonicalRow(['2.5', 'true'], ['decimal', 'boolean']));
  });

  it('reads a missing trailing field as NULL', () => {
    expect(canonicalRow(['x'], ['text', 'text'])).toBe(canonicalRow(['x', null], ['text', 'text']));
  });
});

describe('rowDigest', () => {
  it('is a base64 SHA-256 of the canonical row', () => {
    const digest = rowDigest(['1', 'x'], ['integer', 'text']);
    expect(Buffer.from(digest, 'base64')).toHaveLength(32);
    expect(rowDigest(['+1', 'x'], ['integer', 'text'])).toBe(digest);
    expect(rowDigest(['1', 'y'], ['integer', 'text'])).not.toBe(digest);
  });
});

describe('ContentChecksum', () => {
  it('starts at zero rows and all-zero lanes', () => {
    expect(new ContentChecksum(['text']).digest()).toBe(`0:${'0'.repeat(32)}`);
  });

  it('counts rows, a row added twice counting twice', () => {
    const sum = new ContentChecksum(['text']);
    sum.add(['a']);
    sum.add(['a']);
    expect(sum.rows).toBe(2);
    expect(sum.digest()).toMatch(/^2:[0-9a-f]{32}$/);
    expect(lanesOf(sum.digest())).not.toBe(lanesOf(digestOf([['a']], ['text'])));
  });

  it('version 2 (older snapshots) sums the MD5 of each canonical row, read as little-endian words', () => {
    const sum = new ContentChecksum(['text'], 2);
    sum.addCanonical('abc'); // MD5 900150983cd24fb0d6963f7d28e17f72
    expect(sum.digest()).toBe('1:98500190b04fd23c7d3f96d6727fe128');
    const again = new ContentChecksum(['text'], 2);
    again.add(['abc']);
    expect(again.digest()).toBe(sum.digest());
  });

  it('version 3 sums the MurmurHash3 of each canonical row', () => {
    const sum = new ContentChecksum(['text']);
    expect(sum.version).toBe(3);
    sum.add(['The quick brown fox jumps over the lazy dog']);
    // The reference's 16 output bytes c383152f 672ceeec ... as little-endian words.
    expect(sum.digest()).toBe('1:2f1583c3ecee2c675d7bf66ce5e91d2c');
  });

  it('refuses a version it cannot compute', () => {
    expect(() => new ContentChecksum(['text'], 1)).toThrow(/version 1/);
  });

  it('hashes a row field by field exactly as its joined canonical text', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 8 }), (rows) => {
        const byField = new ContentChecksum(TYPES);
        const joined = new ContentChecksum(TYPES);
        for (const r of rows) {
          byField.add(r);
          joined.addCanonical(canonicalRow(r, TYPES));
        }
        expect(byField.digest()).toBe(joined.digest());
      }),
      { numRuns: 500 },
    );
  });

  it('gives different digests in versions 2 and 3 (they are never compared)', () => {
    expect(digestOf([['a']], ['text'])).not.toBe((() => {
      const v2 = new ContentChecksum(['text'], 2);
      v2.add(['a']);
      return v2.digest();
    })());
  });

  it('gives the same digest for the same multiset of rows in any order', () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 12 }).chain((rows) =>
          fc.tuple(fc.constant(rows), fc.shuffledSubarray([...rows.keys()], { minLength: rows.length, maxLength: rows.length })),
        ),
        ([rows, permutation]) => {
          expect(digestOf(permutation.map((i) => rows[i]!))).toBe(digestOf(rows));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same digest for rows that differ only in spelling', () => {
    const a: CsvRow[] = [
      ['01', 'x', '2.50', 'true', '\\xAB'],
      ['2', null, '-0.0', 'f', null],
    ];
    const b: CsvRow[] = [
      ['2', null, '0', 'false', null],
      ['1', 'x', '2.5', 't', '\\xab'],
    ];
    expect(digestOf(a)).toBe(digestOf(b));
  });

  it('changes when one row is added', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 10 }), row, (rows, extra) => {
        const before = digestOf(rows);
        const after = digestOf([...rows, extra]);
        expect(after).not.toBe(before);
        expect(lanesOf(after)).not.toBe(lanesOf(before));
      }),
      { numRuns: 300 },
    );
  });

  it('changes when one field of one row changes (value, NULL or not)', () => {
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 10 }),
        fc.nat(),
        fc.nat({ max: TYPES.length - 1 }),
        (rows, rowIndex, column) => {
          const changed = rows.map((r) => [...r]);
          const target = changed[rowIndex % rows.length]!;
          const old = target[column] ?? null;
          target[column] = old === null ? NEW_VALUE[TYPES[column]!]! : changeValue(old, TYPES[column]!);
          expect(canonicalField(target[column] ?? null, TYPES[column]!)).not.toBe(canonicalField(old, TYPES[column]!));
          expect(digestOf(changed)).not.toBe(digestOf(rows));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('changes when a text field changes from NULL to the empty string', () => {
    expect(digestOf([[null]], ['text'])).not.toBe(digestOf([['']], ['text']));
  });

  it('changes when a value moves from one row to another', () => {
    const types: NeutralType[] = ['text', 'text'];
    expect(digestOf([['a', 'b'], ['c', 'd']], types)).not.toBe(digestOf([['a', 'd'], ['c', 'b']], types));
  });
});

describe('canonicalField for timestamps', () => {
  it('treats trailing fraction zeros as the same instant', () => {
    expect(canonicalField('2024-01-01 10:00:00.500', 'timestamp')).toBe(canonicalField('2024-01-01 10:00:00.5', 'timestamp'));
    expect(canonicalField('2024-01-01 10:00:00.000', 'timestamp')).toBe('2024-01-01 10:00:00');
    expect(canonicalField('2024-01-01 10:00:00.120+00', 'timestamptz')).toBe('2024-01-01 10:00:00.12+00');
  });
  it('keeps different instants different', () => {
    expect(canonicalField('2024-01-01 10:00:00.05', 'timestamp')).not.toBe(canonicalField('2024-01-01 10:00:00.5', 'timestamp'));
    expect(canonicalField('2024-01-01 10:00:10', 'timestamp')).toBe('2024-01-01 10:00:10');
  });
});

describe('canonical forms across the spellings ORMs write', () => {
  it('a timestamptz is its UTC instant: naive text is read as UTC, offsets are moved', () => {
    const same = ['2024-01-02 03:04:05.6789+00', '2024-01-02 03:04:05.678900', '2024-01-02T03:04:05.678900+00:00', '2024-01-02 05:04:05.6789+02:00', '2024-01-02 03:04:05.678900 +00:00'];
    expect(new Set(same.map((t) => canonicalField(t, 'timestamptz')))).toEqual(new Set(['2024-01-02 03:04:05.6789+00']));
    expect(canonicalField('2024-01-02 03:04:05+01', 'timestamptz')).not.toBe(canonicalField('2024-01-02 03:04:05', 'timestamptz'));
  });

  it("a timestamp's T is a space", () => {
    expect(canonicalField('2024-01-02T03:04:05.500', 'timestamp')).toBe(canonicalField('2024-01-02 03:04:05.5', 'timestamp'));
  });

  it('a UUID has small letters and hyphens', () => {
    expect(canonicalField('A0EEBC999C0B4EF8BB6D6BB9BD380A11', 'uuid')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(canonicalField('not-a-uuid', 'uuid')).toBe('not-a-uuid');
  });

  it("leaves PostgreSQL's own output as it was (checksums stored in snapshots stay comparable)", () => {
    for (const [text, type] of [
      ['2024-01-02 03:04:05.5+00', 'timestamptz'],
      ['2024-01-02 03:04:05.5', 'timestamp'],
      ['0044-03-15 12:00:00+00 BC', 'timestamptz'],
      ['infinity', 'timestamptz'],
      ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'uuid'],
    ] as const) {
      expect(canonicalField(text, type)).toBe(text);
    }
  });
});
