/**
 * MurmurHash3, x86 128-bit variant, seed 0 (Austin Appleby's public-domain design), over
 * the UTF-8 bytes of text that is appended in pieces. It is what the content checksum
 * (version 3) hashes each row with: in JavaScript, with no call into native code and no
 * string built per row, it costs a fifth of Node's one-shot MD5 on the benchmark rows.
 * Not a cryptographic hash: it finds changed rows, it does not resist forged ones (a
 * snapshot's files are also covered by SHA-256).
 */

import { isAscii } from 'node:buffer';

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** One input word's scramble before it meets its lane. */
function mixK(k: number, a: number, r: number, b: number): number {
  return Math.imul(rotl(Math.imul(k, a), r), b);
}

/** The little-endian word at `i`. */
function word(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** The little-endian word of `count` (1-4) bytes from `start`, the missing high bytes zero. */
function tailWord(b: Uint8Array, start: number, count: number): number {
  let k = 0;
  for (let j = count - 1; j >= 0; j--) k |= b[start + j]! << (j * 8);
  return k;
}

const CAPITALS = /[A-Z]/;

/** Bytes kept before the whole 16-byte blocks among them are hashed: a value of any size takes this much memory. */
const PENDING_BYTES = 64 * 1024;

/**
 * Appends UTF-8 bytes (of strings, of byte ranges, or single bytes); `finish` hashes what
 * was appended and starts over. Whole blocks are hashed as the bytes pile up, so memory
 * stays small whatever the length.
 */
export class Murmur3Utf8 {
  private bytes = new Uint8Array(PENDING_BYTES + 4096);
  private length = 0;
  /** Bytes already hashed (whole blocks) of the current input. */
  private hashed = 0;
  private h1 = 0;
  private h2 = 0;
  private h3 = 0;
  private h4 = 0;

  /** Appends one byte (0-255). */
  byte(b: number): void {
    if (this.length === this.bytes.length) this.room(1);
    this.bytes[this.length++] = b;
  }

  /** Appends `src[start..end)`. */
  range(src: Uint8Array, start: number, end: number): void {
    if (end - start < 32) {
      // A short value: a loop costs less than a view and a copy.
      if (this.length + (end - start) > this.bytes.length) this.room(end - start);
      const b = this.bytes;
      let p = this.length;
      for (let i = start; i < end; i++) b[p++] = src[i]!;
      this.length = p;
      return;
    }
    while (end - start > PENDING_BYTES) {
      this.range(src, start, start + PENDING_BYTES);
      start += PENDING_BYTES;
    }
    if (this.length + (end - start) > this.bytes.length) this.room(end - start);
    this.bytes.set(src.subarray(start, end), this.length);
    this.length += end - start;
  }

  /** Appends `src[start..end)` with ASCII capitals made small (a `bytes` value's hex digits). */
  lowerRange(src: Uint8Array, start: number, end: number): void {
    while (end - start > PENDING_BYTES) {
      this.lowerRange(src, start, start + PENDING_BYTES);
      start += PENDING_BYTES;
    }
    // Hex from PostgreSQL and from hesap's CSV encoder is already small: found by a native scan, then copied whole.
    const text = Buffer.from(src.buffer, src.byteOffset + start, end - start).toString('latin1');
    if (!CAPITALS.test(text)) {
      this.range(src, start, end);
      return;
    }
    if (this.length + (end - start) > this.bytes.length) this.room(end - start);
    if (isAscii(src.subarray(start, end))) {
      // Hex from SQLite's hex() is in capitals. ASCII only: the native toLowerCase changes
      // exactly A-Z, and is written back natively (100k receipts of the benchmark's orders:
      // 0.6 s less than the loop below).
      Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length).write(text.toLowerCase(), this.length, 'latin1');
      this.length += end - start;
      return;
    }
    const b = this.bytes;
    let p = this.length;
    for (let i = start; i < end; i++) {
      const c = src[i]!;
      b[p++] = c >= 0x41 && c <= 0x5a ? c + 32 : c;
    }
    this.length = p;
  }

  /**
   * Appends the UTF-8 encoding of `s`: a lone surrogate becomes U+FFFD, as in
   * `Buffer.from(s, 'utf8')` and `TextEncoder`.
   */
  text(s: string): void {
    const n = s.length;
    if (n > PENDING_BYTES / 3) {
      // In pieces that fit, never splitting a surrogate pair.
      for (let i = 0; i < n; ) {
        let end = Math.min(n, i + PENDING_BYTES / 4);
        if (end < n && s.charCodeAt(end - 1) >= 0xd800 && s.charCodeAt(end - 1) <= 0xdbff) end++;
        this.text(s.slice(i, end));
        i = end;
      }
      return;
    }
    if (this.length + n * 3 > this.bytes.length) this.room(n * 3);
    const b = this.bytes;
    let p = this.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        b[p++] = c;
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 63);
      } else if (c < 0xd800 || c > 0xdfff) {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 63);
        b[p++] = 0x80 | (c & 63);
      } else {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          b[p++] = 0xf0 | (cp >> 18);
          b[p++] = 0x80 | ((cp >> 12) & 63);
          b[p++] = 0x80 | ((cp >> 6) & 63);
          b[p++] = 0x80 | (cp & 63);
          i++;
        } else {
          b[p++] = 0xef;
          b[p++] = 0xbf;
          b[p++] = 0xbd;
        }
      }
    }
    this.length = p;
  }

  /** Makes room for `more` bytes: hashes the whole blocks piled up, keeps the rest (under 16 bytes). */
  private room(more: number): void {
    if (this.length >= 16) {
      const whole = this.length - (this.length & 15);
      this.blocks(whole);
      this.bytes.copyWithin(0, whole, this.length);
      this.length -= whole;
      this.hashed += whole;
    }
    if (this.length + more > this.bytes.length) {
      const next = new Uint8Array(this.length + more + PENDING_BYTES);
      next.set(this.bytes.subarray(0, this.length));
      this.bytes = next;
    }
  }

  /** Hashes the whole blocks in `bytes[0..end)` (`end` a multiple of 16) into the state. */
  private blocks(end: number): void {
    const b = this.bytes;
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    let h4 = this.h4;
    for (let i = 0; i < end; i += 16) {
      h1 = (Math.imul(rotl(h1 ^ mixK(word(b, i), C1, 15, C2), 19) + h2, 5) + 0x561ccd1b) | 0;
      h2 = (Math.imul(rotl(h2 ^ mixK(word(b, i + 4), C2, 16, C3), 17) + h3, 5) + 0x0bcaa747) | 0;
      h3 = (Math.imul(rotl(h3 ^ mixK(word(b, i + 8), C3, 17, C4), 15) + h4, 5) + 0x96cd1c35) | 0;
      h4 = (Math.imul(rotl(h4 ^ mixK(word(b, i + 12), C4, 18, C1), 13) + h1, 5) + 0x32ac3b17) | 0;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    this.h4 = h4;
  }

  /**
   * Hashes the bytes appended since the last call and starts over. The four 32-bit words
   * (h1..h4, the C reference's output read as little-endian words) are written to `out`,
   * or added to it lane by lane (modulo 2^32) when `add` is true.
   */
  finish(out: Uint32Array, add = false): void {
    const b = this.bytes;
    const length = this.length;
    const len = this.hashed + length;
    const i = length - (length & 15);
    this.blocks(i);
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    let h4 = this.h4;
    this.h1 = this.h2 = this.h3 = this.h4 = 0;
    this.length = 0;
    this.hashed = 0;
    // The last 1-15 bytes: each word only mixed into its lane.
    const tail = length & 15;
    if (tail > 12) h4 ^= mixK(tailWord(b, i + 12, tail - 12), C4, 18, C1);
    if (tail > 8) h3 ^= mixK(tailWord(b, i + 8, Math.min(tail - 8, 4)), C3, 17, C4);
    if (tail > 4) h2 ^= mixK(tailWord(b, i + 4, Math.min(tail - 4, 4)), C2, 16, C3);
    if (tail > 0) h1 ^= mixK(tailWord(b, i, Math.min(tail, 4)), C1, 15, C2);
    // The length modulo 2^32, as the reference's 32-bit length.
    h1 ^= len;
    h2 ^= len;
    h3 ^= len;
    h4 ^= len;
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h3 = fmix(h3);
    h4 = fmix(h4);
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    if (add) {
      out[0] = out[0]! + h1;
      out[1] = out[1]! + h2;
      out[2] = out[2]! + h3;
      out[3] = out[3]! + h4;
    } else {
      out[0] = h1;
      out[1] = h2;
      out[2] = h3;
      out[3] = h4;
    }
  }
}

/** The MurmurHash3 x86_128 (seed 0) of a string's UTF-8, as the reference writes its 16 bytes (h1..h4, little-endian), in hex. */
export function murmur3Hex(text: string): string {
  const h = new Murmur3Utf8();
  const out = new Uint32Array(4);
  h.text(text);
  h.finish(out);
  const bytes = Buffer.alloc(16);
  out.forEach((w, i) => bytes.writeUInt32LE(w, i * 4));
  return bytes.toString('hex');
}
