import * as fc from 'fast-check';
import { Murmur3Utf8, murmur3Hex } from './murmur3';

describe('murmur3Hex', () => {
  // Published MurmurHash3_x86_128 outputs for seed 0 (the reference's 16 bytes in hex).
  it.each([
    ['', '00000000000000000000000000000000'],
    ['The quick brown fox jumps over the lazy dog', 'c383152f672ceeec6cf67b5d2c1de9e5'],
    ['The quick brown fox jumps over the lazy cog', '8843d60e79e79a3e934503972ff3b349'],
    ['THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG', '5cb9e26451952b2fcc493cb9fed0b4c9'],
    ['the quick brown fox jumps over the lazy cog', 'fbf39633637c9e70efce1df157359e42'],
    ['aaaaaaa', 'a7387719286d290fca19a398ca19a398'],
    ['aaaaaaaaaaaaaaa', '78fa8d8d331a81a560dfb090484c863a'],
  ])('hashes %p as the reference does', (text, expected) => {
    expect(murmur3Hex(text)).toBe(expected);
  });
});

describe('Murmur3Utf8', () => {
  const hashOf = (feed: (h: Murmur3Utf8) => void): string => {
    const h = new Murmur3Utf8();
    const out = new Uint32Array(4);
    feed(h);
    h.finish(out);
    return Array.from(out).join(',');
  };

  it("encodes text as Node's UTF-8 does, lone surrogates included", () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)), maxLength: 6 }));
    fc.assert(
      fc.property(text, (s) => {
        expect(hashOf((h) => h.text(s))).toBe(hashOf((h) => Buffer.from(s, 'utf8').forEach((b) => h.byte(b))));
      }),
      { numRuns: 3_000 },
    );
  });

  it('hashes pieces as their concatenation, across every block boundary and a growing buffer', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 700 }), { maxLength: 6 }), (pieces) => {
        expect(hashOf((h) => pieces.forEach((p) => h.text(p)))).toBe(hashOf((h) => h.text(pieces.join(''))));
      }),
      { numRuns: 500 },
    );
  });

  it('starts over after each finish, and adds lane by lane modulo 2^32 when asked', () => {
    const h = new Murmur3Utf8();
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    h.text('first');
    h.finish(a);
    h.text('second');
    h.finish(b);
    expect(hashOf((x) => x.text('second'))).toBe(Array.from(b).join(','));
    const sum = new Uint32Array(a);
    h.text('second');
    h.finish(sum, true);
    expect(Array.from(sum)).toEqual(Array.from(a, (w, i) => (w + b[i]!) >>> 0));
  });

  it('changes with every length of a tail (1 to 15 bytes past a block)', () => {
    const seen = new Set<string>();
    for (let n = 0; n <= 32; n++) seen.add(hashOf((h) => h.text('x'.repeat(n))));
    expect(seen.size).toBe(33);
  });
});
