import { CopyOutDecoder } from './copy-out';

// The decoder against protocol bytes built here, cut into chunks at every kind of place.

function message(code: string, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(5);
  head[0] = code.charCodeAt(0);
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** xorshift32: deterministic, so a failing seed can be replayed. */
function random(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function chunked(bytes: Buffer, next: () => number, max: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = Math.min(bytes.length - at, 1 + Math.floor(next() * max));
    // A copy: the decoder overwrites the chunks it is given.
    out.push(Buffer.from(bytes.subarray(at, at + n)));
    at += n;
  }
  return out;
}

function decodeAll(chunks: Buffer[]): { data: Buffer; rest: Buffer; failed: boolean; done: boolean } {
  const decoder = new CopyOutDecoder();
  const data: Buffer[] = [];
  const rest: Buffer[] = [];
  let failed = false;
  for (const chunk of chunks) {
    // Chunks after the end come back whole as rest.
    const r = decoder.decode(chunk);
    data.push(Buffer.from(r.data));
    if (r.rest) rest.push(r.rest);
    failed ||= r.failed === true;
  }
  return { data: Buffer.concat(data), rest: Buffer.concat(rest), failed, done: decoder.done };
}

function rows(next: () => number, count: number): Buffer[] {
  return Array.from({ length: count }, () => {
    // Payload bytes of every value, protocol codes included; now and then an empty or a long one.
    const size = next() < 0.05 ? 0 : next() < 0.05 ? 3000 + Math.floor(next() * 5000) : Math.floor(next() * 120);
    return Buffer.from(Array.from({ length: size }, () => Math.floor(next() * 256)));
  });
}

const after = Buffer.concat([message('C', 'COPY 3\0'), message('Z', 'I')]);

describe('CopyOutDecoder', () => {
  it('hands on exactly the CopyData payloads, in order, for any cut of the chunks', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const payloads = rows(next, 1 + Math.floor(next() * 60));
      const parts: Buffer[] = [message('H', Buffer.from([0, 0, 2, 0, 0, 0, 0]))];
      payloads.forEach((p, i) => {
        parts.push(message('d', p));
        // Notices and parameter changes may come between rows: read past, never handed on.
        if (i % 17 === 3) parts.push(message('N', 'SNOTICE\0Mhello\0\0'));
        if (i % 23 === 5) parts.push(message('S', 'TimeZone\0UTC\0'));
      });
      parts.push(message('c', ''), after);
      const bytes = Buffer.concat(parts);
      const max = [1, 2, 5, 64, 4096][seed % 5]!;
      const out = decodeAll(chunked(bytes, next, max));
      expect(out.done).toBe(true);
      expect(out.failed).toBe(false);
      expect(out.data.equals(Buffer.concat(payloads))).toBe(true);
      // What follows CopyDone is the driver's, byte for byte.
      expect(out.rest.equals(after)).toBe(true);
    }
  });

  it('stops at an ErrorResponse and leaves it, whole, for the driver', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const next = random(seed * 7);
      const payloads = rows(next, 1 + Math.floor(next() * 20));
      const error = Buffer.concat([message('E', 'SERROR\0C22012\0Mdivision by zero\0\0'), message('Z', 'E')]);
      const bytes = Buffer.concat([message('H', Buffer.from([0, 0, 0])), ...payloads.map((p) => message('d', p)), error]);
      const out = decodeAll(chunked(bytes, next, [1, 3, 100][seed % 3]!));
      expect(out.failed).toBe(true);
      expect(out.data.equals(Buffer.concat(payloads))).toBe(true);
      expect(out.rest.equals(error)).toBe(true);
    }
  });

  it('an unexpected message ends the copy without being swallowed', () => {
    const bytes = Buffer.concat([message('H', Buffer.from([0, 0, 0])), message('d', 'a,b\n'), after]);
    const out = decodeAll([bytes]);
    expect(out.data.toString()).toBe('a,b\n');
    expect(out.failed).toBe(false);
    expect(out.rest.equals(after)).toBe(true);
  });

  it('an empty table: no data, the rest after CopyDone', () => {
    const out = decodeAll([Buffer.concat([message('H', Buffer.from([0, 0, 0])), message('c', ''), after])]);
    expect(out.data.length).toBe(0);
    expect(out.rest.equals(after)).toBe(true);
  });
});
