import type { SqliteTableLayout } from './sqlite-introspector';
import type { SqliteTableProfile } from './sqlite-profiler';

/**
 * How the source reads one table, settled when the table is introspected (from the catalog's
 * layout and the profile): the reader takes it as it is and looks nothing up.
 */
export interface SqliteReadPlan {
  /** The name that reaches the rowid: rows are read in batches, in rowid order. None (WITHOUT ROWID): row by row, in one pass. */
  readonly rowid?: string;
  /** SQL that names a row in error messages. */
  readonly rowLabel: string;
  /** Columns whose text goes through the repair function on its way to CSV. */
  readonly repair: ReadonlySet<string>;
  /** The row count the profile took in the same snapshot: counting needs no second scan. */
  readonly rows?: number;
  /** The INTEGER PRIMARY KEY column that is the rowid, when there is one. */
  readonly rowidAlias?: string;
  /** Only the rows whose rowids this temporary table holds (an incremental push; see sqlite-changes.ts). */
  readonly only?: string;
}

/** The plan for a table as the catalog laid it out and, when it was profiled, as its data asks. */
export function readPlan(layout: SqliteTableLayout, profile?: SqliteTableProfile): SqliteReadPlan {
  return { rowid: layout.rowid, rowidAlias: layout.rowidAlias, rowLabel: layout.rowLabel, repair: profile?.repair ?? new Set(), rows: profile?.rows };
}
