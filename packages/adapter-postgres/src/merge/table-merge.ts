import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { LoadPlan, MergeSettings, TableWrite, TableWriteResult } from '@hesap/core';
import { mapQueryError } from '../postgres-errors';
import { MergeExecutor } from './executor';
import { followForeignKeys, followSelfReferences, leaveOutOrphans } from './foreign-keys';
import { writeRows } from './insert';
import { deletedThere } from './local-edits';
import { matchRows } from './match';
import { matchedKeys } from './owned';
import { assignNewKeys, drawsKeys, readSequence } from './new-keys';
import { report, skipCollisions } from './outcome';
import { analyzeSql } from './sql';
import { copyStageSql, createStageSql, prepareStage, targetEmpty, type Stage } from './stage';

/**
 * Merging a table set-based inside PostgreSQL: the source rows are COPied into a staging
 * table (see `stage.ts`), then every step works on all of them at once, one statement per
 * step and never one per row. The table's merge plan (from the planner) says which steps run.
 */

/**
 * A staged table's write: the COPY goes into its stage, made in the same message just before
 * it (issue 24: a round trip a table), unless `made` says it was made already (see
 * PostgresTarget.begin); `complete()` merges the stage into the target.
 */
export function writeStaged(client: pg.ClientBase, stage: Stage, settings: MergeSettings, parents: ReadonlyMap<string, Stage>, plan?: LoadPlan, made = false): TableWrite {
  const stream = client.query(copyFrom(made ? copyStageSql(stage) : `${createStageSql(stage)};\n${copyStageSql(stage)}`));
  if (!made) {
    // An error before the server asks for the rows is the stage's (see PostgresTarget.explain).
    const copying = stream as unknown as { handleCopyInResponse(connection: unknown): void };
    const began = copying.handleCopyInResponse.bind(copying);
    let started = false;
    copying.handleCopyInResponse = (connection) => {
      started = true;
      began(connection);
    };
    stream.on('error', (error) => {
      if (!started) stage.failed = mapQueryError(error, { table: stage.table, doing: CREATING_STAGE });
    });
  }
  return {
    stream,
    complete: async () => {
      if (stage.failed) throw stage.failed;
      return mergeTable(new MergeExecutor(client, stage.table), stage, settings, parents, Number(stream.rowCount ?? 0), plan ?? {});
    },
  };
}

/** What making a staging table is called in its errors. */
export const CREATING_STAGE = 'Creating the staging table';

/** The steps of a merge, in order, once the stage holds the `received` source rows. */
export async function mergeTable(
  exec: MergeExecutor,
  s: Stage,
  settings: MergeSettings,
  parents: ReadonlyMap<string, Stage>,
  received: number,
  plan: Pick<LoadPlan, 'remoteSince' | 'onConflict' | 'incremental' | 'syncToken'>,
): Promise<TableWriteResult> {
  await prepareStage(exec, s);
  // Children follow their parents: checked, and rewritten through the parents' stages.
  followForeignKeys(exec, s, parents);
  // Read with the first step that waits (see readSequence).
  const sequence = drawsKeys(s) ? readSequence(exec, s) : undefined;
  // A table this push created holds no row yet: every staged row is new, nothing to match.
  if (!targetEmpty(s)) await matchRows(exec, s, settings);
  // An incremental push: rows pushed before that match no target row any more, edited or
  // needed here, were deleted there since: conflicts. (A full push inserts them again.)
  const told = plan.incremental === true && settings.localEdits !== false && !targetEmpty(s);
  const gone = told ? deletedThere(exec, s, plan.onConflict ?? 'keep-remote') : () => async () => [];
  // Rows that would collide on another unique key of the target are skipped.
  skipCollisions(exec, s);
  // New rows whose parent exists nowhere are left out (the target's key checks every new row).
  leaveOutOrphans(exec, s);
  await assignNewKeys(exec, s, sequence);
  // The steps above rewrote every row's status: fresh statistics for the joins below.
  exec.send(...analyzeSql(s.stage));
  await followSelfReferences(exec, s);
  const written = await writeRows(exec, s, settings, plan, received);
  const deletedRows = gone();
  // A push the source keeps a record of: which of its rows the target held already (see owned.ts).
  const owned = plan.syncToken !== undefined && !targetEmpty(s) ? matchedKeys(exec, s, written.counts, written.inserted) : undefined;
  const result = await report(exec, s, written, received);
  const matched = await owned?.();
  if (matched) result.matchedKeys = matched;
  const deleted = await deletedRows();
  if (deleted.length > 0) result.conflicts = [...deleted, ...(result.conflicts ?? [])];
  return result;
}
