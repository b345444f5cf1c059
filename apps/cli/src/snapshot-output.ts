import type { SnapshotInfo } from '@hesap/api';
import { formatCount, type Output } from './output';

/** Bytes for people: 1.2 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** `2025-01-01 12:00:00 UTC`. */
export function formatTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

export function describeSource(s: SnapshotInfo): string {
  return `${s.source.kind}: ${s.source.location}`;
}

/** The snapshots as an aligned table, newest first. */
export function renderSnapshots(o: Output, snapshots: readonly SnapshotInfo[]): void {
  o.table(
    ['snapshot', 'created', 'source', 'tables', 'rows', 'size'],
    snapshots.map((s) => [s.name, formatTime(s.createdAt), describeSource(s), s.tables, s.rows, formatBytes(s.size)]),
  );
  o.line();
  const total = snapshots.reduce((n, s) => n + s.size, 0);
  o.line(`${formatCount(snapshots.length)} snapshot${snapshots.length === 1 ? '' : 's'}, ${formatBytes(total)}.`);
}
