import type { CheckCompareOp, CheckExpression, CheckValue } from '@hesap/core';
import { isWord, type Token } from './sqlite-create-table';

/**
 * Reads a SQLite CHECK condition into the neutral form's shapes, following SQLite's grammar
 * and precedence, for the part of SQL whose meaning is the same elsewhere: comparisons, IN
 * lists, BETWEEN, IS [NOT] NULL, AND/OR/NOT, length(), literals and column names. Anything
 * else stops the reading with what it met (`JSON_VALID()`, `LIKE`, `the || operator`).
 * Columns are kept as written; sqlite-checks.ts resolves them and checks the types.
 */

/** A column as written: a bare word may be SQLite's TRUE or FALSE when no column has that name. */
export type ParsedValue = Exclude<CheckValue, { kind: 'column' | 'length' }> | { kind: 'column'; name: string; bare: boolean } | { kind: 'length'; of: ParsedValue };

export type ParsedCondition = CheckExpression<ParsedValue>;

type Node = ParsedValue | ParsedCondition;

/** Why a condition is not translated, in words (`it uses JSON_VALID(), which hesap does not translate`). */
export class Untranslatable extends Error {}

/** Stops the reading at a part of the condition hesap does not translate. */
function stop(what: string): never {
  throw new Untranslatable(`it uses ${what}, which hesap does not translate`);
}

const VALUE_KINDS = new Set(['column', 'number', 'string', 'boolean', 'null', 'length']);
const isValue = (n: Node): n is ParsedValue => VALUE_KINDS.has(n.kind);

const COMPARE: Record<string, CheckCompareOp> = { '=': '=', '==': '=', '<>': '<>', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
/** Words that start an expression SQLite has and the neutral form has not. */
const CONSTRUCTS = ['CASE', 'CAST', 'EXISTS', 'SELECT', 'RAISE', 'CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME'];
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

/** A number token as the neutral form keeps it, or why it cannot be kept exactly. */
export function numberText(written: string): string {
  if (written.includes('_')) stop(`the number ${written} (with _ separators)`);
  if (/^0x/i.test(written)) {
    // SQLite reads hexadecimal as a 64-bit two's complement integer.
    if (written.length > 18) stop(`the number ${written} (beyond 64 bits)`);
    return BigInt.asIntN(64, BigInt(written)).toString();
  }
  if (/^\d+$/.test(written)) {
    // SQLite makes an integer beyond 64 bits a REAL, which has lost digits.
    if (BigInt(written) > INT64.max) stop(`the number ${written} (beyond 64 bits)`);
    return written;
  }
  // A REAL: with at most 15 significant digits every double that rounds to it prints it back,
  // so comparing the values as SQLite held them and as written elsewhere gives the same answer.
  const [mantissa, exponent] = written.toLowerCase().split('e');
  const digits = mantissa!.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  if (digits.length > 15 || Math.abs(Number(exponent ?? 0)) > 300) stop(`the number ${written} (more than a double holds exactly)`);
  return written;
}

class Parser {
  private at = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.at + offset];
  }

  private isOp(value: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.kind === 'op' && t.value === value;
  }

  private word(word: string, offset = 0): boolean {
    return isWord(this.peek(offset), word);
  }

  private expect(op: string): void {
    if (!this.isOp(op)) stop(this.peek() ? `"${this.peek()!.value}"` : 'an unfinished condition');
    this.at++;
  }

  parse(): ParsedCondition {
    const node = this.or();
    if (this.peek()) stop(`"${this.peek()!.value}"`);
    return condition(node);
  }

  /** The word `word` is next: it is taken. */
  private take(word: string): boolean {
    if (!this.word(word)) return false;
    this.at++;
    return true;
  }

  private or(): Node {
    const terms = [this.and()];
    while (this.take('OR')) terms.push(this.and());
    return terms.length === 1 ? terms[0]! : { kind: 'or', terms: terms.map(condition) };
  }

  private and(): Node {
    const terms = [this.not()];
    while (this.take('AND')) terms.push(this.not());
    return terms.length === 1 ? terms[0]! : { kind: 'and', terms: terms.map(condition) };
  }

  private not(): Node {
    return this.take('NOT') ? { kind: 'not', term: condition(this.not()) } : this.nullTest();
  }

  private nullTest(): Node {
    let node = this.equality();
    for (;;) {
      if (this.word('ISNULL') || this.word('NOTNULL')) {
        node = { kind: 'is-null', value: value(node), negated: this.word('NOTNULL') };
        this.at++;
      } else if (this.word('NOT') && this.word('NULL', 1)) {
        node = { kind: 'is-null', value: value(node), negated: true };
        this.at += 2;
      } else {
        return node;
      }
    }
  }

  private equality(): Node {
    let node = this.relational();
    for (;;) {
      const t = this.peek();
      if (t?.kind === 'op' && (t.value === '=' || t.value === '==' || t.value === '<>' || t.value === '!=')) {
        this.at++;
        node = { kind: 'compare', op: COMPARE[t.value]!, left: value(node), right: value(this.relational()) };
        continue;
      }
      if (this.word('IS')) {
        const negated = this.word('NOT', 1);
        if (!this.word('NULL', negated ? 2 : 1)) stop('IS between two values');
        this.at += negated ? 3 : 2;
        node = { kind: 'is-null', value: value(node), negated };
        continue;
      }
      const negated = this.word('NOT') && !this.word('NULL', 1);
      const op = this.peek(negated ? 1 : 0);
      if (isWord(op, 'IN')) {
        this.at += negated ? 2 : 1;
        node = { kind: 'in', value: value(node), list: this.inList(), negated };
      } else if (isWord(op, 'BETWEEN')) {
        this.at += negated ? 2 : 1;
        const low = value(this.relational());
        if (!this.take('AND')) stop('BETWEEN without AND');
        const high = value(this.relational());
        const between: ParsedCondition = { kind: 'and', terms: [compare('>=', value(node), low), compare('<=', value(node), high)] };
        node = negated ? { kind: 'not', term: between } : between;
      } else if (['LIKE', 'GLOB', 'MATCH', 'REGEXP'].some((w) => isWord(op, w))) {
        stop(op!.value.toUpperCase());
      } else {
        return node;
      }
    }
  }

  private inList(): ParsedValue[] {
    if (!this.isOp('(')) stop('IN with a table');
    if (this.word('SELECT', 1) || this.word('WITH', 1) || this.word('VALUES', 1)) stop('a subquery');
    this.at++;
    const list: ParsedValue[] = [];
    while (!this.isOp(')')) {
      if (list.length > 0) this.expect(',');
      list.push(value(this.or()));
    }
    this.at++;
    if (list.length === 0) stop('an empty IN list');
    return list;
  }

  private relational(): Node {
    let node = this.operand();
    for (;;) {
      const t = this.peek();
      if (t?.kind !== 'op' || !['<', '<=', '>', '>='].includes(t.value)) return node;
      this.at++;
      node = { kind: 'compare', op: COMPARE[t.value]!, left: value(node), right: value(this.operand()) };
    }
  }

  /** Arithmetic, bit and text operators all bind tighter than comparisons: none is translated. */
  private operand(): Node {
    const node = this.unary();
    const t = this.peek();
    if (t?.kind === 'op' && ['||', '->', '->>', '*', '/', '%', '+', '-', '&', '|', '<<', '>>'].includes(t.value)) stop(`the ${t.value} operator`);
    if (this.word('COLLATE') || this.word('ESCAPE')) stop(t!.value.toUpperCase());
    return node;
  }

  private unary(): Node {
    const t = this.peek();
    if (t?.kind === 'op' && (t.value === '-' || t.value === '+')) {
      this.at++;
      const operand = this.unary();
      // A sign belongs to a number; on anything else (`+col` drops its affinity in SQLite) it is not translated.
      if (operand.kind !== 'number' || operand.text.startsWith('-')) stop(`the unary ${t.value}`);
      return t.value === '-' ? { kind: 'number', text: `-${operand.text}` } : operand;
    }
    if (t?.kind === 'op' && t.value === '~') stop('the ~ operator');
    return this.primary();
  }

  private primary(): Node {
    const t = this.peek();
    if (!t) return stop('an unfinished condition');
    this.at++;
    switch (t.kind) {
      case 'number':
        return { kind: 'number', text: numberText(t.value) };
      case 'string':
        return { kind: 'string', value: t.value };
      case 'blob':
        return stop('a BLOB literal');
      case 'quoted':
        if (this.isOp('.')) stop('a qualified column name');
        return { kind: 'column', name: t.value, bare: false };
      case 'op':
        if (t.value !== '(') return stop(`"${t.value}"`);
        return this.parenthesised();
      case 'word':
        break;
    }
    const upper = t.value.toUpperCase();
    if (upper === 'NULL') return { kind: 'null' };
    if (CONSTRUCTS.includes(upper)) stop(upper);
    if (this.isOp('(')) return this.call(t.value);
    if (this.isOp('.')) stop('a qualified column name');
    return { kind: 'column', name: t.value, bare: true };
  }

  private parenthesised(): Node {
    if (this.word('SELECT') || this.word('WITH') || this.word('VALUES')) stop('a subquery');
    const node = this.or();
    if (this.isOp(',')) stop('a row value');
    this.expect(')');
    return node;
  }

  private call(name: string): Node {
    if (name.toUpperCase() !== 'LENGTH' || this.isOp(')', 1)) stop(`${name}()`);
    this.at++;
    const of = value(this.or());
    if (!this.isOp(')')) stop(`${name}() with more than one argument`);
    this.at++;
    return { kind: 'length', of };
  }
}

function value(node: Node): ParsedValue {
  return isValue(node) ? node : stop('a condition as a value');
}

function condition(node: Node): ParsedCondition {
  return isValue(node) ? stop('a value alone as a condition') : node;
}

function compare(op: CheckCompareOp, left: ParsedValue, right: ParsedValue): ParsedCondition {
  return { kind: 'compare', op, left, right };
}

/** The condition's tokens read into neutral shapes; throws Untranslatable with what it met. */
export function parseCheck(tokens: readonly Token[]): ParsedCondition {
  return new Parser(tokens).parse();
}
