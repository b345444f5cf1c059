import * as fc from 'fast-check';
import { HesapError } from '../errors';
import type { NeutralType } from '../schema';
import { CHUNK_BYTES, ChunkBuilder, encodeField, encodeRow, formatFloat, quoteCsvText } from './csv-encoder';
import { parseIntegerField } from './csv-values';

function errorOf(fn: () => unknown): HesapError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HesapError);
    return error as HesapError;
  }
  throw new Error('expected a HesapError, but nothing was thrown');
}

describe('formatFloat', () => {
  it.each([
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-2.5, '-2.5'],
    [0.1, '0.1'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e21, '1e+21'],
    [1.5e-7, '1.5e-7'],
    [5e-324, '5e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [NaN, 'NaN'],
  ])('formats %p as %p', (value, text) => {
    expect(formatFloat(value)).toBe(text);
  });

  it('reads back to the identical double for every double, -0, infinities and NaN included', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        const text = formatFloat(x);
        expect(Object.is(Number(text), x)).toBe(true);
        if (Number.isFinite(x) && x !== 0) expect(text).toBe(String(x));
      }),
      { numRuns: 500, examples: [[-0], [0], [Infinity], [-Infinity], [NaN], [Number.MIN_VALUE], [-Number.MAX_VALUE]] },
    );
  });
});

describe('quoteCsvText', () => {
  it('quotes the empty string as ""', () => {
    expect(quoteCsvText('')).toBe('""');
  });

  it('always quotes, so delimiters, line ends and PostgreSQL markers need no special case', () => {
    expect(quoteCsvText('a,b')).toBe('"a,b"');
    expect(quoteCsvText('line1\r\nline2')).toBe('"line1\r\nline2"');
    expect(quoteCsvText('\\.')).toBe('"\\."');
    expect(quoteCsvText('\\N')).toBe('"\\N"');
    expect(quoteCsvText('NULL')).toBe('"NULL"');
  });

  it('doubles every quote inside', () => {
    expect(quoteCsvText('say "hi"')).toBe('"say ""hi"""');
    expect(quoteCsvText('"')).toBe('""""');
  });

  it('refuses text with a NUL character (INVALID_TEXT)', () => {
    expect(errorOf(() => quoteCsvText('a\u0000b')).code).toBe('INVALID_TEXT');
  });
});

describe('encodeField', () => {
  it('writes NULL (and undefined) as an empty unquoted field for every type', () => {
    for (const type of ['integer', 'float', 'decimal', 'boolean', 'text', 'bytes', 'json'] as NeutralType[]) {
      expect(encodeField(null, type)).toBe('');
      expect(encodeField(undefined, type)).toBe('');
    }
  });

  it('writes an empty string as "" so it stays distinct from NULL', () => {
    expect(encodeField('', 'text')).toBe('""');
  });

  describe('integer', () => {
    it('writes bigints and safe numbers as plain decimal', () => {
      expect(encodeField(9223372036854775807n, 'integer')).toBe('9223372036854775807');
      expect(encodeField(-9223372036854775808n, 'integer')).toBe('-9223372036854775808');
      expect(encodeField(42, 'integer')).toBe('42');
      expect(encodeField(-7, 'integer')).toBe('-7');
    });

    it('writes -0 as 0 and booleans as 1/0', () => {
      expect(encodeField(-0, 'integer')).toBe('0');
      expect(encodeField(true, 'integer')).toBe('1');
      expect(encodeField(false, 'integer')).toBe('0');
    });

    it('passes integer strings through unquoted', () => {
      expect(encodeField('123', 'integer')).toBe('123');
      expect(encodeField('-5', 'integer')).toBe('-5');
    });

    it('refuses fractions, NaN and non-numeric text (VALUE_UNREPRESENTABLE)', () => {
      expect(errorOf(() => encodeField(1.5, 'integer')).code).toBe('VALUE_UNREPRESENTABLE');
      expect(errorOf(() => encodeField(NaN, 'integer')).code).toBe('VALUE_UNREPRESENTABLE');
      expect(errorOf(() => encodeField('12a', 'integer')).code).toBe('VALUE_UNREPRESENTABLE');
      expect(errorOf(() => encodeField(new Uint8Array([1]), 'integer')).code).toBe('VALUE_UNREPRESENTABLE');
    });

    it('round-trips every 64-bit integer through parseIntegerField', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
          const text = encodeField(v, 'integer');
          expect(BigInt(parseIntegerField(text))).toBe(v);
        }),
        { numRuns: 500, examples: [[0n], [-(2n ** 63n)], [2n ** 63n - 1n], [2n ** 53n + 1n], [-(10n ** 15n)], [10n ** 15n]] },
      );
    });

    it('round-trips every safe integer number through parseIntegerField', () => {
      fc.assert(
        fc.property(fc.maxSafeInteger(), (v) => {
          // Up to 15 digits come back as a number, longer ones as a BigInt.
          expect(BigInt(parseIntegerField(encodeField(v, 'integer')))).toBe(BigInt(v));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('float and decimal', () => {
    it('writes numbers in their shortest exact form, specials included', () => {
      expect(encodeField(-0, 'float')).toBe('-0');
      expect(encodeField(0.1, 'float')).toBe('0.1');
      expect(encodeField(Infinity, 'float')).toBe('Infinity');
      expect(encodeField(NaN, 'decimal')).toBe('NaN');
      expect(encodeField(2.5, 'decimal')).toBe('2.5');
    });

    it('writes bigints exactly and strings quoted', () => {
      expect(encodeField(12345678901234567890n, 'decimal')).toBe('12345678901234567890');
      expect(encodeField(2n ** 60n, 'float')).toBe('1152921504606846976');
      expect(encodeField('1.50', 'decimal')).toBe('"1.50"');
      expect(encodeField('NaN', 'float')).toBe('"NaN"');
    });

    it('refuses booleans', () => {
      expect(errorOf(() => encodeField(true, 'float')).code).toBe('VALUE_UNREPRESENTABLE');
      expect(errorOf(() => encodeField(false, 'decimal')).code).toBe('VALUE_UNREPRESENTABLE');
    });
  });

  describe('boolean', () => {
    it('writes t/f for booleans and for numbers (non-zero is true)', () => {
      expect(encodeField(true, 'boolean')).toBe('t');
      expect(encodeField(false, 'boolean')).toBe('f');
      expect(encodeField(1, 'boolean')).toBe('t');
      expect(encodeField(0, 'boolean')).toBe('f');
      expect(encodeField(-3, 'boolean')).toBe('t');
      expect(encodeField(0n, 'boolean')).toBe('f');
      expect(encodeField(2n, 'boolean')).toBe('t');
    });

    it('quotes strings as they are', () => {
      expect(encodeField('yes', 'boolean')).toBe('"yes"');
    });

    it('refuses a Date', () => {
      expect(errorOf(() => encodeField(new Date(0), 'boolean')).code).toBe('VALUE_UNREPRESENTABLE');
    });
  });

  describe('bytes', () => {
    it('writes \\x and lower-case hex', () => {
      expect(encodeField(new Uint8Array([0x00, 0x0a, 0xab, 0xff]), 'bytes')).toBe('\\x000aabff');
      expect(encodeField(new Uint8Array([]), 'bytes')).toBe('\\x');
    });

    it('writes only the viewed bytes of a subarray', () => {
      const whole = Buffer.from([1, 2, 3, 4, 5]);
      expect(encodeField(whole.subarray(1, 3), 'bytes')).toBe('\\x0203');
      expect(encodeField(new Uint8Array(whole.buffer, whole.byteOffset + 3, 2), 'bytes')).toBe('\\x0405');
    });

    it('writes a string as the hex of its UTF-8 bytes', () => {
      expect(encodeField('é', 'bytes')).toBe('\\xc3a9');
    });

    it('refuses numbers', () => {
      expect(errorOf(() => encodeField(1, 'bytes')).code).toBe('VALUE_UNREPRESENTABLE');
    });
  });

  describe('text and other quoted types', () => {
    it('quotes text, doubling quotes', () => {
      expect(encodeField('a "b", c', 'text')).toBe('"a ""b"", c"');
    });

    it('writes non-string values as their text, quoted', () => {
      expect(encodeField(1.5, 'text')).toBe('"1.5"');
      expect(encodeField(-0, 'text')).toBe('"-0"');
      expect(encodeField(12n, 'text')).toBe('"12"');
      expect(encodeField(true, 'text')).toBe('"true"');
      expect(encodeField(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), 'timestamptz')).toBe('"2024-01-02T03:04:05.006Z"');
      expect(encodeField(Buffer.from('héllo', 'utf8'), 'text')).toBe('"héllo"');
      expect(encodeField('{"a":1}', 'json')).toBe('"{""a"":1}"');
    });

    it('refuses a NUL character (INVALID_TEXT)', () => {
      expect(errorOf(() => encodeField('x\u0000', 'text')).code).toBe('INVALID_TEXT');
    });
  });
});

describe('encodeRow', () => {
  it('joins fields with commas and ends the line with \\n', () => {
    expect(encodeRow([1n, 'a,b', null, '', true, new Uint8Array([255])], ['integer', 'text', 'text', 'text', 'boolean', 'bytes'])).toBe(
      '1,"a,b",,"",t,\\xff\n',
    );
  });

  it('writes missing trailing values as NULL', () => {
    expect(encodeRow([1], ['integer', 'text', 'float'])).toBe('1,,\n');
  });

  it('writes an empty line for a table without columns', () => {
    expect(encodeRow([], [])).toBe('\n');
  });

  it('fails on a value the column type cannot hold', () => {
    expect(errorOf(() => encodeRow(['x'], ['integer'])).code).toBe('VALUE_UNREPRESENTABLE');
  });
});

describe('ChunkBuilder', () => {
  it('uses 64 KiB chunks by default', () => {
    expect(CHUNK_BYTES).toBe(65536);
  });

  it('holds lines back until the chunk size is reached, then hands out all of them as one Buffer', () => {
    const builder = new ChunkBuilder(10);
    expect(builder.add('1234\n')).toBeUndefined();
    expect(builder.rows).toBe(1);
    const chunk = builder.add('5678\n');
    expect(chunk).toBeInstanceOf(Buffer);
    expect(chunk!.toString('utf8')).toBe('1234\n5678\n');
    expect(builder.rows).toBe(0);
    expect(builder.take()).toBeUndefined();
  });

  it('take() returns what is pending and resets the row count', () => {
    const builder = new ChunkBuilder(1000);
    builder.add('"é😀"\n');
    builder.add(',\n');
    expect(builder.rows).toBe(2);
    const chunk = builder.take()!;
    expect(chunk.equals(Buffer.from('"é😀"\n,\n', 'utf8'))).toBe(true);
    expect(builder.rows).toBe(0);
    expect(builder.take()).toBeUndefined();
  });

  it('loses no line and keeps their order over many chunks', () => {
    const builder = new ChunkBuilder(64);
    const lines = Array.from({ length: 500 }, (_, i) => `${i},"row ${i}"\n`);
    const chunks: Buffer[] = [];
    for (const line of lines) {
      const chunk = builder.add(line);
      if (chunk) chunks.push(chunk);
    }
    const rest = builder.take();
    if (rest) chunks.push(rest);
    expect(chunks.length).toBeGreaterThan(10);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(lines.join(''));
  });
});
