import * as fc from 'fast-check';
import { ContentChecksum, canonicalField } from './checksum';
import { CsvChecksumFailure, CsvChecksummer, canonicalBytesInto, type CsvChecksumResult } from './csv-checksummer';
import { Murmur3Utf8 } from './murmur3';
import { parseCsv, type CsvRow } from './csv/csv-parser';
import { NEUTRAL_TYPES, type NeutralType } from './schema';

const TYPES: NeutralType[] = ['integer', 'text', 'decimal', 'boolean', 'bytes', 'json', 'timestamp', 'float'];

/** Values of each type in the spellings sources write, and some they do not (`+5`, `2.50`, `TRUE`, `\xAB`). */
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('"', ',', '\n', '\r', 'a', 'ş', '😀', ' ', '\\'), maxLength: 10 }),
);
const valueOf: Record<string, fc.Arbitrary<string>> = {
  integer: fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), fc.constantFrom('+5', '007', '-0', '0')),
  text,
  decimal: fc.oneof(fc.integer({ min: -1e7, max: 1e7 }).map((n) => (n / 100).toFixed(2)), fc.constantFrom('2.50', '-0.0', '1e2', '.5')),
  boolean: fc.constantFrom('t', 'f', 'true', 'FALSE'),
  bytes: fc.uint8Array({ maxLength: 8 }).chain((b) => fc.constantFrom('\\x' + Buffer.from(b).toString('hex'), '\\x' + Buffer.from(b).toString('hex').toUpperCase())),
  json: text.map((t) => JSON.stringify({ t })),
  timestamp: fc.constantFrom('2024-01-01 10:00:00', '2024-01-01 10:00:00.500', '2024-01-01 10:00:00.5', '1999-12-31 23:59:59.123456'),
  float: fc.oneof(fc.double().map((d) => String(d)), fc.constantFrom('1.50', '-0', 'Infinity', 'NaN', '1e+30')),
};

const row = fc.tuple(...TYPES.map((t) => fc.option(valueOf[t]!, { nil: null }))) as unknown as fc.Arbitrary<CsvRow>;

/** PostgreSQL CSV: NULL empty, text quoted (or, where nothing needs quotes, sometimes not), LF or CRLF line ends. */
function encode(rows: CsvRow[], quoteAll: boolean, crlf: boolean): string {
  const field = (v: string | null): string => {
    if (v === null) return '';
    if (!quoteAll && v !== '' && !/[",\r\n]/.test(v)) return v;
    return `"${v.replace(/"/g, '""')}"`;
  };
  return rows.map((r) => r.map(field).join(',') + (crlf ? '\r\n' : '\n')).join('');
}

function byStrings(rows: readonly CsvRow[], types = TYPES): CsvChecksumResult {
  const sum = new ContentChecksum(types);
  for (const r of rows) sum.add(r);
  return { rows: sum.rows, digest: sum.digest() };
}

function byBytes(bytes: Buffer, cuts: number[], types = TYPES, version?: number): CsvChecksumResult {
  const c = new CsvChecksummer(types, version);
  let at = 0;
  for (const cut of [...cuts.map((x) => x % (bytes.length + 1))].sort((a, b) => a - b)) {
    c.write(bytes.subarray(at, cut));
    at = cut;
  }
  c.write(bytes.subarray(at));
  return c.end();
}

describe('canonicalBytesInto', () => {
  const spelled: Array<[NeutralType, string[]]> = [
    ['decimal', ['0', '1', '9', '.', '-', '+', 'e', ' ']],
    ['integer', ['0', '1', '-', '+', ' ']],
    ['timestamp', ['0', '5', '.', ':', '-', '+', 'Z', ' ']],
    ['boolean', ['t', 'f', 'r', 'T']],
  ];
  it.each(spelled)('writes what canonicalField gives a %s, or nothing and false, whatever follows the value in the buffer', (type, letters) => {
    const hashOf = (feed: (h: Murmur3Utf8) => void): string => {
      const h = new Murmur3Utf8();
      const out = new Uint32Array(4);
      feed(h);
      h.finish(out);
      return out.join(',');
    };
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...letters), maxLength: 9 }), fc.string({ unit: fc.constantFrom(...letters), maxLength: 4 }), (text, after) => {
        // A reused buffer: stale bytes after the value must not count.
        const bytes = Buffer.from(text + after);
        const h = new Murmur3Utf8();
        if (canonicalBytesInto(bytes, text.length, type, h)) {
          const out = new Uint32Array(4);
          h.finish(out);
          expect(out.join(',')).toBe(hashOf((x) => x.text(canonicalField(text, type))));
        } else {
          const out = new Uint32Array(4);
          h.finish(out);
          expect(out.join(',')).toBe(hashOf(() => undefined));
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it.each<NeutralType>(['timestamp', 'timestamptz', 'uuid'])('agrees with canonicalField on %s values in the spellings apps and PostgreSQL write', (type) => {
    const two = fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, '0'));
    const stamp = fc
      .tuple(fc.constantFrom('2024', '0001', '9999'), two, two, fc.constantFrom(' ', 'T'), two, two, two, fc.constantFrom('', '.5', '.500', '.678900', '.'), fc.constantFrom('', '+00', 'Z', '+02:00', ' +00:00', '-0330', ' BC'))
      .map(([y, mo, d, sep, h, mi, sec, f, z]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${sec}${f}${z}`);
    const uuid = fc.uuid().chain((u) => fc.constantFrom(u, u.toUpperCase(), u.replace(/-/g, ''), `${u}x`));
    fc.assert(
      fc.property(type === 'uuid' ? uuid : stamp, (text) => {
        const h = new Murmur3Utf8();
        const out = new Uint32Array(4);
        if (!canonicalBytesInto(Buffer.from(text), Buffer.byteLength(text), type, h)) h.text(canonicalField(text, type));
        h.finish(out);
        const expected = new Murmur3Utf8();
        const want = new Uint32Array(4);
        expected.text(canonicalField(text, type));
        expected.finish(want);
        expect(out).toEqual(want);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('the types hashed byte for byte', () => {
  // The checksum thread hashes these types' bytes as they are (bytes: ASCII capitals made
  // small) and sends only the others through canonicalField: if canonicalField ever rewrote
  // one of them, the two paths would part. This fails first.
  const asIs = NEUTRAL_TYPES.filter((t) => !['integer', 'float', 'decimal', 'boolean', 'time', 'timestamp', 'timestamptz', 'uuid', 'bytes'].includes(t));
  it.each(asIs)('canonicalField leaves a %s value as it is', (type) => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (text) => expect(canonicalField(text, type)).toBe(text)), { numRuns: 500 });
  });

  it('a bytes value only has its ASCII capitals made small', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }), (text) => expect(canonicalField(text, 'bytes')).toBe(text.replace(/[A-Z]/g, (c) => c.toLowerCase()))), { numRuns: 500 });
  });

  it('a bytes value gets the same checksum by bytes as by strings: any case, any length, non-ASCII too', () => {
    const chars = fc.constantFrom('A', 'F', 'a', 'f', '0', '9', 'Z', '\\', 'x', 'À', 'Þ', 'ş', '😀', '"', ',');
    // Lengths past 32 bytes (the short-value loop) and past 64 KiB (the hasher's pending bytes).
    const long = fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 5000 })).map(([b, n]) => '\\x' + Buffer.from(b).toString('hex').toUpperCase().repeat(n));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: chars, maxLength: 80 }), long), fc.array(fc.nat(), { maxLength: 3 }), (value, cuts) => {
        const csv = Buffer.from(`"${value.replace(/"/g, '""')}"\n`, 'utf8');
        expect(byBytes(csv, cuts, ['bytes'])).toEqual(byStrings([[value]], ['bytes']));
      }),
      { numRuns: 300 },
    );
  });

  it('the byte path and the string path agree on every type', () => {
    for (const type of NEUTRAL_TYPES) {
      const text = type === 'bytes' ? '\\xAbCd' : 'Ab 1.50 +07 t';
      const csv = Buffer.from(`"${text}"\n`);
      expect([type, byBytes(csv, [], [type])]).toEqual([type, byStrings([[text]], [type])]);
    }
  });
});

describe('CsvChecksummer', () => {
  it('gives the digest of the parsed rows, however the bytes are cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 8 }), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), (rows, quoteAll, crlf, cuts) => {
        const bytes = Buffer.from(encode(rows, quoteAll, crlf), 'utf8');
        const parsed = parseCsv(bytes);
        expect(byBytes(bytes, cuts)).toEqual(byStrings(parsed));
        expect(byBytes(bytes, cuts, TYPES, 2)).toEqual((() => {
          const sum = new ContentChecksum(TYPES, 2);
          for (const r of parsed) sum.add(r);
          return { rows: sum.rows, digest: sum.digest() };
        })());
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps a CR at the end of a chunk waiting for its LF across empty chunks', () => {
    const types: NeutralType[] = ['text'];
    expect(byBytes(Buffer.from('"a"\r\n"b"\r\n'), [4, 4, 4], types)).toEqual(byStrings([['a'], ['b']], types));
  });

  it('reads a last row without a line end, and an empty line as one NULL field', () => {
    expect(byBytes(Buffer.from('1,"a"\n2,"b"'), [3, 7], ['integer', 'text'])).toEqual(byStrings([['1', 'a'], ['2', 'b']], ['integer', 'text']));
    expect(byBytes(Buffer.from('\n"x"\r\n'), [1, 2], ['text'])).toEqual(byStrings([[null], ['x']], ['text']));
    expect(byBytes(Buffer.from(''), [], ['text'])).toEqual(byStrings([], ['text']));
  });

  it('hashes a value of many megabytes in small memory, as the string path does', () => {
    const big = 'ab"c,ş\n'.repeat(300_000);
    const bytes = Buffer.from(`1,"${big.replace(/"/g, '""')}"\n`, 'utf8');
    expect(byBytes(bytes, [5, 100_000, 1_000_001], ['integer', 'text'])).toEqual(byStrings([['1', big]], ['integer', 'text']));
    const c = new CsvChecksummer(['integer', 'text']);
    c.write(bytes);
    // The hasher's buffer never grew past its first size (64 KiB and a little).
    expect((c as unknown as { hash: { bytes: Uint8Array } }).hash.bytes.length).toBeLessThanOrEqual(64 * 1024 + 4096);
    expect(c.end().rows).toBe(1);
  });

  it('names the row whose field count is wrong, and a quote left open', () => {
    const types: NeutralType[] = ['integer', 'text'];
    const fields = () => byBytes(Buffer.from('1,"a"\n2,"b",3\n'), [8], types);
    expect(fields).toThrow(CsvChecksumFailure);
    expect(fields).toThrow('row 2 has 3 fields for 2 columns');
    try {
      fields();
    } catch (error) {
      expect(error).toMatchObject({ kind: 'fields', row: 2, fields: 3 });
    }
    expect(() => byBytes(Buffer.from('1,"a\n'), [], types)).toThrow(/ends inside a quoted field \(row 1\)/);
  });
});
