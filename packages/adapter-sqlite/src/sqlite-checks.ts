import type { CheckCompareOp, CheckConstraint, CheckExpression, CheckValue, Column, Table } from '@hesap/core';
import { parseCheck, Untranslatable, type ParsedCondition, type ParsedValue } from './sqlite-check-parser';
import type { CreateTableFacts, DeclaredCheck } from './sqlite-create-table';
import { affinityOf } from './sqlite-declared-type';

/**
 * A table's CHECK constraints in neutral form, once its column types are decided (after the
 * profile). A condition is translated only when SQLite means the same by it on the column's
 * values as the neutral form does (check-expression.ts): a number column SQLite compares as
 * numbers (no TEXT affinity), a text column it compares as text, byte by byte (TEXT or no
 * affinity, BINARY collation), a boolean one (0 and 1) against 0 and 1. The others keep their
 * SQL and say why they are not translated.
 */

type Kind = 'number' | 'text' | 'boolean' | 'null';

function stop(why: string): never {
  throw new Untranslatable(why);
}

class Typing {
  constructor(
    private readonly table: Table,
    private readonly collations: ReadonlyMap<string, string>,
  ) {}

  /** SQLite matches names without ASCII case. */
  private column(name: string): Column | undefined {
    const folded = name.toLowerCase();
    return this.table.columns.find((c) => c.name.toLowerCase() === folded);
  }

  private collation(column: Column): string | undefined {
    const folded = column.name.toLowerCase();
    return [...this.collations].find(([name]) => name.toLowerCase() === folded)?.[1];
  }

  /** The value with its column resolved, and the kind SQLite compares it as. */
  value(v: ParsedValue, anyType = false): [CheckValue, Kind] {
    switch (v.kind) {
      case 'number':
        return [v, 'number'];
      case 'string':
        return [v, 'text'];
      case 'boolean':
        return [v, 'boolean'];
      case 'null':
        return [v, 'null'];
      case 'length': {
        const [of, kind] = this.value(v.of);
        if (kind !== 'text' && kind !== 'null') stop(`it takes length() of ${describe(kind)}`);
        return [{ kind: 'length', of }, 'number'];
      }
      case 'column':
        return this.columnValue(v.name, v.bare, anyType);
    }
  }

  private columnValue(name: string, bare: boolean, anyType: boolean): [CheckValue, Kind] {
    const column = this.column(name);
    if (!column) {
      // SQLite's TRUE and FALSE, unless a column has the name; a quoted name that is no column is SQLite's string.
      if (bare && /^(true|false)$/i.test(name)) return [{ kind: 'number', text: /^true$/i.test(name) ? '1' : '0' }, 'number'];
      return stop(`"${name}" is not among the columns hesap copies${bare ? '' : ' (where it names none, SQLite reads it as text)'}`);
    }
    const ref: CheckValue = { kind: 'column', name: column.name };
    if (anyType) return [ref, 'null'];
    const affinity = affinityOf(column.declaredType);
    const collation = this.collation(column);
    switch (column.type) {
      case 'integer':
      case 'float':
      case 'decimal':
        if (affinity === 'TEXT') stop(`"${column.name}" has TEXT affinity, so SQLite compares it as text`);
        return [ref, 'number'];
      case 'text':
        if (affinity !== 'TEXT' && affinity !== 'BLOB') stop(`"${column.name}" holds text with ${affinity} affinity, which SQLite compares as numbers where it can`);
        if (collation && collation.toUpperCase() !== 'BINARY') stop(`"${column.name}" compares by collation ${collation}`);
        return [ref, 'text'];
      case 'boolean':
        return [ref, 'boolean'];
      default:
        return stop(`"${column.name}" is a ${column.type} column, which SQLite compares as text`);
    }
  }

  compare(op: CheckCompareOp, left: ParsedValue, right: ParsedValue): CheckExpression {
    let [l, lk] = this.value(left);
    let [r, rk] = this.value(right);
    if (lk === 'boolean' && rk === 'number') r = asBoolean(r, op);
    else if (rk === 'boolean' && lk === 'number') l = asBoolean(l, op);
    else if (lk === 'boolean' && rk === 'boolean' && op !== '=' && op !== '<>') stop(`it orders booleans (${op})`);
    else if (lk !== rk && lk !== 'null' && rk !== 'null') stop(`it compares ${describe(lk)} with ${describe(rk)}`);
    return { kind: 'compare', op, left: l, right: r };
  }

  condition(c: ParsedCondition): CheckExpression {
    switch (c.kind) {
      case 'compare':
        return this.compare(c.op, c.left, c.right);
      case 'in': {
        const list = c.list.map((item) => this.compare('=', c.value, item) as Extract<CheckExpression, { kind: 'compare' }>);
        return { kind: 'in', value: list[0]!.left, list: list.map((e) => e.right), negated: c.negated };
      }
      case 'is-null':
        return { kind: 'is-null', value: this.value(c.value, true)[0], negated: c.negated };
      case 'and':
      case 'or':
        return { kind: c.kind, terms: c.terms.map((t) => this.condition(t)) };
      case 'not':
        return { kind: 'not', term: this.condition(c.term) };
    }
  }
}

/** A 0 or 1 compared with a boolean column (which holds only 0 and 1) is false or true. */
function asBoolean(v: CheckValue, op: CheckCompareOp): CheckValue {
  if (v.kind !== 'number' || (op !== '=' && op !== '<>') || !/^[01]$/.test(v.text)) return stop(`it compares a boolean column with ${v.kind === 'number' ? v.text : 'a number'} (${op})`);
  return { kind: 'boolean', value: v.text === '1' };
}

const describe = (kind: Kind) => (kind === 'number' ? 'a number' : kind === 'text' ? 'text' : 'a boolean');

/** One declared CHECK in neutral form, or its SQL and why it is not translated. */
export function settleCheck(table: Table, check: DeclaredCheck, collations: ReadonlyMap<string, string>): CheckConstraint {
  const declared: CheckConstraint = {
    ...(check.name !== undefined ? { name: check.name } : {}),
    ...(check.column !== undefined && table.columns.some((c) => c.name === check.column) ? { column: check.column } : {}),
    sql: check.sql,
  };
  try {
    return { ...declared, expression: new Typing(table, collations).condition(parseCheck(check.tokens)) };
  } catch (error) {
    if (!(error instanceof Untranslatable)) throw error;
    return { ...declared, untranslated: error.message };
  }
}

/** The table's CHECK constraints, for a table whose column types are decided. */
export function settleChecks(table: Table, facts: CreateTableFacts): CheckConstraint[] {
  return facts.checks.map((check) => settleCheck(table, check, facts.collations));
}
