/**
 * CHECK conditions in neutral form: the small part of SQL whose meaning a source adapter can
 * prove to be the same everywhere, so a target writes it in its own dialect without guessing.
 *
 * Meaning, on the column values as their neutral types hold them:
 * - a comparison compares two values of one kind: numbers by value, text by code point
 *   (the order of UTF-8 bytes, whatever the database's collation), booleans false < true;
 * - `length` counts the characters of text;
 * - NULL follows SQL's three-valued logic, and a CHECK holds unless its condition is false.
 * A source adapter gives a condition only when the source means the same on its own values
 * (SQLite: the column's affinity and collation agree with its neutral type); a target renders
 * every node or lists the constraint as not created.
 */

export type CheckCompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

export const CHECK_COMPARE_OPS: readonly CheckCompareOp[] = ['=', '<>', '<', '<=', '>', '>='];

/** A value in a condition. */
export type CheckValue =
  | { kind: 'column'; name: string }
  /** A decimal literal as written (`-12`, `0.5`, `1e3`), never a float that lost digits. */
  | { kind: 'number'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  /** The number of characters of a text value. */
  | { kind: 'length'; of: CheckValue };

/** A condition (over values of another shape while a source adapter reads it). */
export type CheckExpression<V = CheckValue> =
  | { kind: 'compare'; op: CheckCompareOp; left: V; right: V }
  | { kind: 'in'; value: V; list: V[]; negated: boolean }
  | { kind: 'is-null'; value: V; negated: boolean }
  | { kind: 'and' | 'or'; terms: CheckExpression<V>[] }
  | { kind: 'not'; term: CheckExpression<V> };

/** A number literal as the neutral form keeps it. */
export const CHECK_NUMBER = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function valuesOf(expression: CheckExpression): CheckValue[] {
  switch (expression.kind) {
    case 'compare':
      return [expression.left, expression.right];
    case 'in':
      return [expression.value, ...expression.list];
    case 'is-null':
      return [expression.value];
    case 'and':
    case 'or':
      return expression.terms.flatMap(valuesOf);
    case 'not':
      return valuesOf(expression.term);
  }
}

function columnsOfValue(value: CheckValue): string[] {
  if (value.kind === 'column') return [value.name];
  return value.kind === 'length' ? columnsOfValue(value.of) : [];
}

/** The columns a condition reads, each once, in the order met. */
export function checkColumns(expression: CheckExpression): string[] {
  return [...new Set(valuesOf(expression).flatMap(columnsOfValue))];
}

function renameValue(value: CheckValue, rename: (column: string) => string): CheckValue {
  if (value.kind === 'column') return { kind: 'column', name: rename(value.name) };
  return value.kind === 'length' ? { kind: 'length', of: renameValue(value.of, rename) } : value;
}

/** The same condition with its columns under other names (the target's, when names were shortened). */
export function renameCheckColumns(expression: CheckExpression, rename: (column: string) => string): CheckExpression {
  const value = (v: CheckValue) => renameValue(v, rename);
  switch (expression.kind) {
    case 'compare':
      return { ...expression, left: value(expression.left), right: value(expression.right) };
    case 'in':
      return { ...expression, value: value(expression.value), list: expression.list.map(value) };
    case 'is-null':
      return { ...expression, value: value(expression.value) };
    case 'and':
    case 'or':
      return { ...expression, terms: expression.terms.map((t) => renameCheckColumns(t, rename)) };
    case 'not':
      return { kind: 'not', term: renameCheckColumns(expression.term, rename) };
  }
}
