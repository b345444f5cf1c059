import { canonicalField } from './checksum';

/**
 * JSON text by meaning. PostgreSQL's `jsonb` keeps JSON parsed: it prints its own spacing and
 * key order, keeps the last of a key written twice, and refuses `\u0000`. Comparing what an app
 * wrote as text with what `jsonb` prints needs the canonical form below; pushing into `jsonb`
 * needs to know what it would not keep.
 */

/** What reading a JSON text found. */
export interface JsonReading {
  /** The value in canonical form: no spacing, keys sorted, strings and numbers spelled one way. */
  canonical: string;
  /** A key an object holds twice (jsonb keeps only the last value), when there is one. */
  duplicateKey?: string;
  /** The text holds `\u0000`, which jsonb refuses. */
  nul: boolean;
}

class Reader {
  at = 0;
  duplicateKey?: string;
  nul = false;

  constructor(private readonly text: string) {}

  private space(): void {
    const t = this.text;
    while (this.at < t.length && (t[this.at] === ' ' || t[this.at] === '\t' || t[this.at] === '\n' || t[this.at] === '\r')) this.at++;
  }

  value(depth: number): string {
    if (depth > 1000) throw new Error('too deep');
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return JSON.stringify(this.string());
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return word;
      }
    }
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.at;
    const number = m.exec(this.text);
    if (!number) throw new Error('not JSON');
    this.at += number[0].length;
    return canonicalField(number[0], 'decimal');
  }

  private string(): string {
    const m = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
    m.lastIndex = this.at;
    const s = m.exec(this.text);
    if (!s) throw new Error('not JSON');
    this.at += s[0].length;
    if (/\\u0000/.test(s[0])) this.nul = true;
    return JSON.parse(s[0]) as string;
  }

  private expect(c: string): void {
    this.space();
    if (this.text[this.at] !== c) throw new Error('not JSON');
    this.at++;
  }

  private object(depth: number): string {
    this.at++;
    const members = new Map<string, string>();
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return '{}';
    }
    for (;;) {
      this.space();
      if (this.text[this.at] !== '"') throw new Error('not JSON');
      const key = this.string();
      this.expect(':');
      const value = this.value(depth + 1);
      if (members.has(key)) this.duplicateKey ??= key;
      members.delete(key);
      members.set(key, value);
      this.space();
      if (this.text[this.at] === ',') {
        this.at++;
        continue;
      }
      this.expect('}');
      break;
    }
    const keys = [...members.keys()].sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${members.get(k)}`).join(',')}}`;
  }

  private array(depth: number): string {
    this.at++;
    const items: string[] = [];
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return '[]';
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.space();
      if (this.text[this.at] === ',') {
        this.at++;
        continue;
      }
      this.expect(']');
      break;
    }
    return `[${items.join(',')}]`;
  }

  end(): void {
    this.space();
    if (this.at !== this.text.length) throw new Error('not JSON');
  }
}

/** Reads a JSON text (RFC 8259); undefined when it is not one. */
export function readJsonText(text: string): JsonReading | undefined {
  const reader = new Reader(text);
  try {
    const canonical = reader.value(0);
    reader.end();
    return { canonical, duplicateKey: reader.duplicateKey, nul: reader.nul };
  } catch {
    return undefined;
  }
}
