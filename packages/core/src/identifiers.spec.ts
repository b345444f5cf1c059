import * as fc from 'fast-check';
import { HesapError } from './errors';
import { identifierBytes, quoteIdent, quoteQualified, shortenIdentifier, truncateIdentifier } from './identifiers';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const name = fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }).filter((s) => !s.includes('\u0000'));

describe('quoteIdent', () => {
  it('wraps the name in double quotes and keeps its case', () => {
    expect(quoteIdent('CamelTable')).toBe('"CamelTable"');
    expect(quoteIdent('select')).toBe('"select"');
    expect(quoteIdent('with space')).toBe('"with space"');
  });

  it('doubles double quotes inside the name', () => {
    expect(quoteIdent('say "hi"')).toBe('"say ""hi"""');
    expect(quoteIdent('"')).toBe('""""');
  });

  it('refuses an empty name and a NUL character with IDENTIFIER_INVALID', () => {
    expect(() => quoteIdent('')).toThrow(HesapError);
    expect(() => quoteIdent('a\u0000b')).toThrow(expect.objectContaining({ code: 'IDENTIFIER_INVALID' }));
    expect(() => quoteIdent('')).toThrow(expect.objectContaining({ code: 'IDENTIFIER_INVALID' }));
  });

  it('can be read back by undoubling the quotes', () => {
    fc.assert(
      fc.property(name, (n) => {
        const quoted = quoteIdent(n);
        expect(quoted.startsWith('"') && quoted.endsWith('"')).toBe(true);
        expect(quoted.slice(1, -1).replace(/""/g, '"')).toBe(n);
        // Outside doubled pairs, no quote remains inside.
        expect(quoted.slice(1, -1).replace(/""/g, '')).not.toContain('"');
      }),
      { numRuns: 200 },
    );
  });
});

describe('quoteQualified', () => {
  it('quotes each part and joins them with a dot', () => {
    expect(quoteQualified('public', 'my.table')).toBe('"public"."my.table"');
  });
});

describe('identifierBytes', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(identifierBytes('abc')).toBe(3);
    expect(identifierBytes('é')).toBe(2);
    expect(identifierBytes('€')).toBe(3);
    expect(identifierBytes('😀')).toBe(4);
  });
});

describe('truncateIdentifier', () => {
  it('leaves a name within the limit alone', () => {
    expect(truncateIdentifier('a'.repeat(63), 63)).toBe('a'.repeat(63));
  });

  it('cuts at the byte limit', () => {
    expect(truncateIdentifier('a'.repeat(70), 63)).toBe('a'.repeat(63));
  });

  it('never cuts inside a multi-byte character', () => {
    // 31 × 'é' = 62 bytes; a 32nd would need bytes 63-64.
    expect(truncateIdentifier('é'.repeat(40), 63)).toBe('é'.repeat(31));
    expect(truncateIdentifier('ab😀', 5)).toBe('ab');
    expect(truncateIdentifier('ab😀', 6)).toBe('ab😀');
  });

  it('gives the longest prefix of whole characters within the limit', () => {
    fc.assert(
      fc.property(name, fc.integer({ min: 1, max: 70 }), (n, max) => {
        const cut = truncateIdentifier(n, max);
        expect(bytes(cut)).toBeLessThanOrEqual(max);
        expect(n.startsWith(cut)).toBe(true);
        if (cut !== n) {
          const next = [...n.slice(cut.length)][0]!;
          expect(bytes(cut) + bytes(next)).toBeGreaterThan(max);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('shortenIdentifier', () => {
  it('leaves a name within the limit alone', () => {
    expect(shortenIdentifier('users', 63)).toBe('users');
    expect(shortenIdentifier('x'.repeat(63), 63)).toBe('x'.repeat(63));
  });

  it('gives a prefix, an underscore and 8 hex digits of the SHA-256, within the limit', () => {
    const long = 'a'.repeat(100);
    const short = shortenIdentifier(long, 63);
    expect(short).toMatch(/^a{54}_[0-9a-f]{8}$/);
    expect(bytes(short)).toBe(63);
  });

  it('is deterministic and tells apart names that share the first bytes', () => {
    const one = `${'x'.repeat(63)}_one`;
    const two = `${'x'.repeat(63)}_two`;
    expect(shortenIdentifier(one, 63)).toBe(shortenIdentifier(one, 63));
    expect(shortenIdentifier(one, 63)).not.toBe(shortenIdentifier(two, 63));
  });

  it('fits any long name into the limit without cutting a character', () => {
    fc.assert(
      fc.property(name, fc.integer({ min: 10, max: 63 }), (n, max) => {
        const short = shortenIdentifier(n, max);
        expect(bytes(short)).toBeLessThanOrEqual(max);
        if (bytes(n) <= max) expect(short).toBe(n);
        else {
          expect(short).toMatch(/_[0-9a-f]{8}$/);
          expect(n.startsWith(short.slice(0, -9))).toBe(true);
          // No half of a surrogate pair is left at the cut.
          expect(short).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
