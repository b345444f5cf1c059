/**
 * What the PRAGMAs do not tell about a table, read from its CREATE TABLE text in
 * `sqlite_schema`: the CHECK constraints (column and table level, named or not) and each
 * column's collation. Only tokens are read (strings, quoted names and comments kept whole);
 * SQLite has already parsed the statement, so it is well formed.
 */

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'blob' | 'op';

export interface Token {
  kind: TokenKind;
  /** A word's or quoted name's name, a string's value, a number or operator as written. */
  value: string;
  start: number;
  end: number;
}

/** A CHECK as declared: its condition's tokens and text. */
export interface DeclaredCheck {
  name?: string;
  /** The column it was declared on, for a column constraint. */
  column?: string;
  /** The condition, verbatim (without the CHECK's own parentheses). */
  sql: string;
  tokens: Token[];
}

export interface CreateTableFacts {
  checks: DeclaredCheck[];
  /** Declared collations by column name (`NOCASE`), as written. */
  collations: Map<string, string>;
}

const OPERATORS = ['->>', '||', '->', '<=', '>=', '==', '!=', '<>', '<<', '>>'];

function closing(sql: string, from: number, quote: string): number {
  let at = from + 1;
  for (;;) {
    const next = sql.indexOf(quote, at);
    if (next < 0) return sql.length;
    // Doubled quotes stand for one, except inside [brackets].
    if (quote !== ']' && sql[next + 1] === quote) {
      at = next + 2;
      continue;
    }
    return next + 1;
  }
}

function unquoted(text: string): string {
  const q = text[0]!;
  const inner = text.slice(1, -1);
  return q === '[' ? inner : inner.split(q + q).join(q);
}

/** SQLite's tokens, without whitespace and comments. */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const rest = sql.slice(i, i + 3);
    if (/\s/.test(c)) {
      i++;
    } else if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const end = closing(sql, i, c === '[' ? ']' : c);
      out.push({ kind: c === "'" ? 'string' : 'quoted', value: unquoted(sql.slice(i, end)), start: i, end });
      i = end;
    } else if (/[xX]/.test(c) && sql[i + 1] === "'") {
      const end = closing(sql, i + 1, "'");
      out.push({ kind: 'blob', value: sql.slice(i, end), start: i, end });
      i = end;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F_]+|(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?[\d_]+)?)/.exec(sql.slice(i))!;
      out.push({ kind: 'number', value: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const m = /^[A-Za-z0-9_$\u0080-\uffff]+/.exec(sql.slice(i))!;
      out.push({ kind: 'word', value: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i)) ?? c;
      out.push({ kind: 'op', value: op, start: i, end: i + op.length });
      i += op.length;
    }
  }
  return out;
}

/** True for the bare word `word` (any case); a quoted name is never a keyword. */
export function isWord(token: Token | undefined, word: string): boolean {
  return token?.kind === 'word' && token.value.toUpperCase() === word;
}

/** The index of the `)` closing the `(` at `open`. */
export function matching(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.kind !== 'op') continue;
    if (tokens[i]!.value === '(') depth++;
    else if (tokens[i]!.value === ')' && --depth === 0) return i;
  }
  return tokens.length;
}

/** The column and table definitions between the statement's outer parentheses. */
function definitions(tokens: readonly Token[]): Token[][] {
  const open = tokens.findIndex((t) => t.kind === 'op' && t.value === '(');
  // CREATE TABLE … AS SELECT has no definitions of its own.
  if (open < 0 || tokens.slice(0, open).some((t) => isWord(t, 'AS'))) return [];
  const close = matching(tokens, open);
  const out: Token[][] = [[]];
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i]!;
    if (t.kind === 'op' && t.value === '(') {
      const end = matching(tokens, i);
      out[out.length - 1]!.push(...tokens.slice(i, end + 1));
      i = end;
    } else if (t.kind === 'op' && t.value === ',') {
      out.push([]);
    } else {
      out[out.length - 1]!.push(t);
    }
  }
  return out.filter((d) => d.length > 0);
}

const TABLE_CONSTRAINTS = ['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN'];

/** Reads the CHECK constraints and collations out of a CREATE TABLE statement. */
export function readCreateTable(sql: string): CreateTableFacts {
  const facts: CreateTableFacts = { checks: [], collations: new Map() };
  for (const def of definitions(tokenize(sql))) {
    const column = TABLE_CONSTRAINTS.some((w) => isWord(def[0], w)) ? undefined : def[0]!.value;
    for (let i = 0; i < def.length; i++) {
      const t = def[i]!;
      if (t.kind === 'op' && t.value === '(') {
        i = matching(def, i);
      } else if (column !== undefined && isWord(t, 'COLLATE') && def[i + 1]) {
        facts.collations.set(column, def[i + 1]!.value);
      } else if (isWord(t, 'CHECK') && def[i + 1]?.value === '(' && def[i + 1]!.kind === 'op') {
        const close = matching(def, i + 1);
        if (close >= def.length) break;
        const named = isWord(def[i - 2], 'CONSTRAINT') ? def[i - 1]!.value : undefined;
        const text = sql.slice(def[i + 1]!.end, def[close]!.start).trim();
        facts.checks.push({ ...(named !== undefined ? { name: named } : {}), ...(column !== undefined ? { column } : {}), sql: text, tokens: def.slice(i + 2, close) });
        i = close;
      }
    }
  }
  return facts;
}
