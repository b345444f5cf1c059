import { checkColumns, renameCheckColumns } from './check-expression';
import type { AdapterCapabilities, TablePlan } from './contract';
import type { CheckConstraint, Note, Table } from './schema';

/**
 * CHECK constraints and triggers of the tables a push creates: their names, and what the
 * report says about those the target does not make. Never dropped without a word.
 */

/** The columns a CHECK is about: those its condition reads, else the column it was declared on. */
function columnsOf(check: CheckConstraint): string[] {
  if (check.expression) return checkColumns(check.expression);
  return check.column !== undefined ? [check.column] : [];
}

/**
 * Names for the CHECKs that have none, as PostgreSQL would give them (`orders_total_check` for
 * one column, `orders_check` otherwise), each name once in the table among its other constraints.
 */
export function nameChecks(table: Table, taken: readonly string[]): CheckConstraint[] | undefined {
  if (!table.checks) return undefined;
  const used = new Set(taken);
  return table.checks.map((check) => {
    const columns = columnsOf(check);
    const base = check.name ?? `${table.name}_${columns.length === 1 ? `${columns[0]}_` : ''}check`;
    let name = base;
    for (let n = 1; used.has(name); n++) name = `${base}${n}`;
    used.add(name);
    return { ...check, name };
  });
}

/** The checks with their columns under the target's names. */
export function renameChecks(checks: readonly CheckConstraint[], rename: (column: string) => string): CheckConstraint[] {
  return checks.map((c) => ({
    ...c,
    ...(c.expression ? { expression: renameCheckColumns(c.expression, rename) } : {}),
    ...(c.column !== undefined ? { column: rename(c.column) } : {}),
  }));
}

/** How much of a CHECK's SQL a note shows. */
const SHOWN = 160;

/** `CHECK constraint "orders_data_check" (JSON_VALID("data") OR "data" IS NULL)`, as a note names it: on one line, long SQL cut. */
export function describeCheck(check: CheckConstraint): string {
  const sql = check.sql.replace(/\s+/g, ' ').trim();
  return `CHECK constraint "${check.name ?? '(unnamed)'}" (${sql.length > SHOWN ? `${sql.slice(0, SHOWN)}…` : sql})`;
}

/** The note for a CHECK a target does not create. */
export function checkNotCreated(table: string, check: CheckConstraint, why: string): Note {
  return {
    level: 'warning',
    code: 'CHECK_NOT_CREATED',
    table,
    constraint: check.name,
    message: `${describeCheck(check)} is not created: ${why}. Every row is there; nothing in the target checks new rows against it.`,
  };
}

/**
 * What the report says about the created tables' triggers (every one: a trigger is code in its
 * source's dialect, which hesap does not translate) and CHECKs, when the target neither creates
 * them nor keeps the schema as it is (a snapshot does).
 */
export function unkeptNotes(plans: readonly TablePlan[], capabilities: AdapterCapabilities): Note[] {
  if (capabilities.keepsSchema) return [];
  const notes: Note[] = [];
  for (const { create, target } of plans) {
    if (!create) continue;
    for (const trigger of target.triggers ?? []) {
      notes.push({
        level: 'warning',
        code: 'TRIGGER_NOT_COPIED',
        table: target.name,
        trigger: trigger.name,
        message: `Trigger "${trigger.name}" is not copied: a trigger is code in its own database's language, which hesap does not translate. Write it again in the target if the app relies on it.`,
      });
    }
    if (capabilities.createsChecks) continue;
    for (const check of target.checks ?? []) notes.push(checkNotCreated(target.name, check, 'this target does not create CHECK constraints'));
  }
  return notes;
}
