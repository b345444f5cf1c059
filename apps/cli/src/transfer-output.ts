import type { CopyResult } from '@hesap/api';
import { inFlags } from './flags';
import { formatCount, formatDuration, type Output } from './output';

/** The per-table report of a push, pull or copy. */
export function renderTransfer(o: Output, result: CopyResult, verb: string): void {
  o.table(
    ['table', 'action', 'read', 'inserted', 'updated', 'unchanged', 'new ids', 'skipped', 'time'],
    result.tables.map((t) => [
      t.targetName ? `${t.table} → ${t.targetName}` : t.table,
      t.action,
      t.received,
      t.inserted,
      t.updated,
      t.unchanged,
      t.remapped,
      t.skipped.length,
      formatDuration(t.durationMs),
    ]),
  );
  renderIncremental(o, result);
  const differing = result.tables.filter((t) => (t.differing ?? 0) > 0);
  if (differing.length > 0) {
    o.line();
    for (const t of differing) {
      o.line(o.yellow(`${t.table}: ${t.differing} matched row(s) differ from the local ones and were left as they are; pass --update to update them.`));
    }
  }
  const skipped = result.tables.flatMap((t) => t.skipped);
  if (skipped.length > 0) {
    o.line();
    o.line(o.bold('Skipped rows'));
    for (const s of skipped) o.line(`  ${s.table} ${s.sourceKey}${s.targetKey ? ` (target ${s.targetKey})` : ''}: ${s.reason}${s.constraint ? ` [${s.constraint}]` : ''}`);
  }
  if (result.views.length > 0) {
    o.line();
    o.line(o.dim(`Views listed, not copied: ${result.views.join(', ')}`));
  }
  const warnings = result.notes.filter((n) => n.code !== 'VIEWS_NOT_COPIED');
  if (warnings.length > 0) {
    o.line();
    for (const n of warnings) o.line(`${n.level === 'warning' ? o.yellow('warning') : o.dim('note')}  ${n.table ? `${n.table}${n.column ? `.${n.column}` : ''}: ` : ''}${inFlags(n.message)}`);
  }
  o.line();
  if (!result.complete) o.line(o.yellow(`${formatCount(result.rowsLeftOut)} source row(s) were left out (listed above): the target does not hold every local row.`));
  o.line(summaryLine(o, result, verb));
}

/** An incremental push: what it found changed, or why it sent every row; local edits and conflicts. */
function renderIncremental(o: Output, result: CopyResult): void {
  const inc = result.incremental;
  if (!inc) return;
  o.line();
  if (!inc.used) o.line(o.dim(`Every row was sent: ${inc.reason}.`));
  else {
    const tables = inc.tables;
    const sum = (f: (t: (typeof tables)[number]) => number) => tables.reduce((n, t) => n + f(t), 0);
    o.line(
      o.dim(
        `Incremental: ${formatCount(sum((t) => t.inserted))} new and ${formatCount(sum((t) => t.updated))} edited row(s) since the last push` +
          ` (${formatCount(sum((t) => t.parents))} parent row(s) sent with them)` +
          (inc.unchanged.length > 0 ? `; unchanged, not sent: ${inc.unchanged.join(', ')}` : '') +
          '.',
      ),
    );
    const removed = new Map(result.tables.map((t) => [t.table, t.deleted ?? 0]));
    for (const t of tables.filter((x) => x.deleted > 0)) {
      const done = removed.get(t.table) ?? 0;
      // Asked with --deletes, the shadow told which rows the target held before this file pushed them.
      if (t.goneTheirs === undefined) {
        o.line(o.yellow(`${t.table}: ${formatCount(t.deleted)} row(s) deleted locally since the last push stay in the target (--deletes deletes those it inserted for this file).`));
        continue;
      }
      if (done > 0) o.line(`${t.table}: ${formatCount(done)} row(s) deleted locally since the last push were deleted in the target.`);
      if (t.goneTheirs > 0) o.line(o.yellow(`${t.table}: ${formatCount(t.goneTheirs)} row(s) deleted locally stay in the target: it held them before this file pushed them.`));
    }
  }
  const edits = result.tables.filter((t) => (t.localEdits ?? 0) > 0);
  for (const t of edits) o.line(`${t.table}: ${formatCount(t.localEdits!)} row(s) edited locally since the last push were updated.`);
  if (result.conflicts.length > 0) {
    o.line(o.bold(o.yellow(`Conflicts: ${result.conflicts.length} row(s) changed here and in the target since the last push`)));
    for (const c of result.conflicts) {
      const remote = c.remote;
      const local = c.local;
      if (local === null) {
        const why = c.reason ? `${c.reason}; stays there` : c.kept === 'local' ? 'changed in the target since the last push; deleted there' : 'changed in the target since the last push; stays there';
        o.line(`  ${c.table} ${c.sourceKey} (kept ${c.kept}): deleted here, ${why}`);
        continue;
      }
      if (remote === null) {
        o.line(`  ${c.table} ${c.sourceKey} (kept ${c.kept}): deleted in the target since the last push, changed or needed here${c.kept === 'local' ? '; inserted again' : '; stays deleted there'}`);
        continue;
      }
      const changed = Object.keys(local).filter((k) => JSON.stringify(local[k]) !== JSON.stringify(remote[k]));
      const values = changed.map((k) => `${k}: local ${JSON.stringify(local[k])}, remote ${JSON.stringify(remote[k])}`).join('; ');
      o.line(`  ${c.table} ${c.sourceKey} (kept ${c.kept}): ${values}`);
    }
    if (result.conflicts.some((c) => c.kept === 'remote')) o.line(o.dim('  The target kept its values; push with --on-conflict keep-local to write yours over them.'));
  }
}

/** A merging pull: rows deleted in the remote since the last push, and the conflicts, with both values. */
export function renderPullMerge(o: Output, result: CopyResult): void {
  const lines: string[] = [];
  for (const t of result.tables) {
    if ((t.deleted ?? 0) > 0) lines.push(`${t.table}: ${formatCount(t.deleted!)} row(s) deleted in the remote since the last push or pull were deleted here.`);
    if ((t.deletedThere ?? 0) > 0) {
      lines.push(o.yellow(`${t.table}: ${formatCount(t.deletedThere!)} row(s) both sides held at the last push or pull were deleted in the remote since; they stay here${result.conflicts.some((c) => c.table === t.table && c.remote === null) ? ' (changed here, or pointed at here: see the conflicts)' : ' (--deletes deletes those unchanged here)'}.`));
    }
  }
  if (result.conflicts.length > 0) {
    lines.push(o.bold(o.yellow(`Conflicts: ${result.conflicts.length} row(s) changed here and in the remote since the last push`)));
    for (const c of result.conflicts) {
      const took = c.kept === 'local' ? 'kept this file\'s' : 'took the remote\'s';
      if (c.local === null) {
        lines.push(`  ${c.table} ${c.sourceKey} (${took}): deleted here, changed in the remote${c.kept === 'local' ? '; stays deleted here' : '; back here'}`);
        continue;
      }
      if (c.remote === null) {
        const why = c.reason ? `deleted in the remote, ${c.reason}` : 'deleted in the remote, changed here';
        lines.push(`  ${c.table} ${c.sourceKey} (${took}): ${why}${c.kept === 'local' ? '; stays here' : '; deleted here too'}`);
        continue;
      }
      const remote = c.remote;
      const changed = Object.keys(remote).filter((k) => JSON.stringify(c.local![k]) !== JSON.stringify(remote[k]));
      lines.push(`  ${c.table} ${c.sourceKey} (${took}): ${changed.map((k) => `${k}: here ${JSON.stringify(c.local![k])}, remote ${JSON.stringify(remote[k])}`).join('; ')}`);
    }
    if (result.conflicts.some((c) => c.kept === 'local')) lines.push(o.dim('  This file kept its values; pull with --on-conflict keep-remote to take the remote\'s.'));
  }
  if (lines.length === 0) return;
  o.line();
  for (const line of lines) o.line(line);
}

/**
 * The last line: what changed (rows inserted, updated and deleted), with the rows left as they
 * were and the rows skipped beside it. A push that changed nothing says so; it never
 * claims the rows it only read.
 */
export function summaryLine(o: Output, result: CopyResult, verb: string): string {
  const sum = (f: (t: CopyResult['tables'][number]) => number) => result.tables.reduce((n, t) => n + f(t), 0);
  const [inserted, updated, deleted, unchanged, skipped] = [sum((t) => t.inserted), sum((t) => t.updated), sum((t) => t.deleted ?? 0), sum((t) => t.unchanged), sum((t) => t.skipped.length)];
  const changed = inserted + updated + deleted;
  const besides = [`${formatCount(unchanged)} unchanged`, `${formatCount(skipped)} skipped`].join(', ');
  const where = `${result.tables.length} table${result.tables.length === 1 ? '' : 's'}, ${result.from} → ${result.to}, in ${formatDuration(result.durationMs)}`;
  const parts = [`${formatCount(inserted)} inserted`, ...(updated > 0 ? [`${formatCount(updated)} updated`] : []), ...(deleted > 0 ? [`${formatCount(deleted)} deleted`] : [])].join(', ');
  if (result.dryRun) return `${o.yellow('Dry run')}: would change ${formatCount(changed)} rows (${parts}; ${besides}) in ${where}. Nothing was committed.`;
  if (changed === 0) return `${o.green('Nothing to change')}: ${besides} in ${where}.`;
  return `${o.green(verb)} ${formatCount(changed)} rows (${parts}; ${besides}) in ${where}.`;
}
