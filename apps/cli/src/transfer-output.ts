import type { CopyResult } from '@hesap/api';
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
    for (const n of warnings) o.line(`${n.level === 'warning' ? o.yellow('warning') : o.dim('note')}  ${n.table ? `${n.table}${n.column ? `.${n.column}` : ''}: ` : ''}${n.message}`);
  }
  o.line();
  if (!result.complete) o.line(o.yellow(`${formatCount(result.rowsLeftOut)} source row(s) were left out (listed above): the target does not hold every local row.`));
  const rows = result.tables.reduce((n, t) => n + t.received, 0);
  o.line(`${o.green(verb)} ${formatCount(rows)} rows in ${result.tables.length} tables, ${result.from} → ${result.to}, in ${formatDuration(result.durationMs)}.`);
}
