import { createHash } from 'node:crypto';
import { HesapError } from './errors';

/**
 * Quotes an identifier the SQL-standard way, which both SQLite and PostgreSQL follow:
 * wrap in double quotes and double every double quote inside. Case is kept. This is
 * the only function in hesap that turns a name into SQL text.
 *
 * @example
 * quoteIdent('CamelTable'); // '"CamelTable"'
 * quoteIdent('say "hi"');   // '"say ""hi"""'
 */
export function quoteIdent(name: string): string {
  if (name.length === 0) {
    throw new HesapError('IDENTIFIER_INVALID', 'An empty name cannot be used as an identifier.');
  }
  if (name.includes('\u0000')) {
    throw new HesapError('IDENTIFIER_INVALID', `The name ${JSON.stringify(name)} contains a NUL character.`);
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a qualified name (`schema.table`), each part through {@link quoteIdent}. */
export function quoteQualified(...parts: string[]): string {
  return parts.map(quoteIdent).join('.');
}

/** The UTF-8 length of a name, which is what identifier limits count. */
export function identifierBytes(name: string): number {
  return Buffer.byteLength(name, 'utf8');
}

/**
 * Cuts a name to at most `maxBytes` UTF-8 bytes, never inside a character. This is what
 * PostgreSQL does silently to long names, so hesap uses it to predict collisions.
 */
export function truncateIdentifier(name: string, maxBytes: number): string {
  if (identifierBytes(name) <= maxBytes) return name;
  let out = '';
  let used = 0;
  for (const ch of name) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (used + size > maxBytes) break;
    out += ch;
    used += size;
  }
  return out;
}

/**
 * A deterministic short form of a long name: a prefix and 8 hex digits of its SHA-256.
 * The same long name always gives the same short one, so repeated pushes agree.
 */
export function shortenIdentifier(name: string, maxBytes: number): string {
  if (identifierBytes(name) <= maxBytes) return name;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${truncateIdentifier(name, maxBytes - 9)}_${digest}`;
}
