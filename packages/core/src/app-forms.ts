import type { DateTimeTextForm } from './datetime-text';
import type { Table } from './schema';

/**
 * The forms the app's own rows in a local file are written in, by table and column (the
 * names of the pulled tables): what a target that keeps date-times as text (SQLite) finds in
 * the file before a pull changes it.
 */
export type LocalForms = ReadonlyMap<string, ReadonlyMap<string, DateTimeTextForm>>;

/**
 * True when every value of `column` is spelled in `form` exactly, nothing lost: enough
 * fraction digits (trailing zeros are added), and a zone only on a `timestamptz` (written at
 * that offset, the same instant; none: UTC without a zone, as such an app writes it).
 */
function fits(column: Table['columns'][number], form: DateTimeTextForm): boolean {
  const used = column.fractionUsed;
  if (used === undefined || form.kind !== (column.type === 'time' ? 'time' : 'timestamp')) return false;
  if (form.zone !== '' && column.type !== 'timestamptz') return false;
  return typeof form.fraction === 'number' ? used <= form.fraction : true;
}

/**
 * A pull into a file that already has the table writes each date-time column whose form was
 * chosen from its values (postgres-app-forms.ts) in the form of the app's own rows there, when
 * every pulled value fits it: TypeORM writes and reads three digits (`09:00:00.123`) and reads
 * six (`.123000`) as local time. Otherwise the chosen form stays. In place.
 */
export function adoptLocalForms(tables: readonly Table[], local: LocalForms): void {
  for (const table of tables) {
    const forms = local.get(table.name);
    if (!forms) continue;
    for (const column of table.columns) {
      const form = forms.get(column.name);
      if (form && fits(column, form)) column.textForm = form;
    }
  }
}
