import type { ProgressEvent } from '@hesap/core';
import { formatCount } from './output';

/**
 * The progress display for long work, on stderr and only on a TTY: per table, rows
 * done of total, rows per second and an estimate of the time left. Each table's line
 * is rewritten in place and left behind when the table is done.
 */
export class ProgressDisplay {
  private started = new Map<string, number>();
  private active = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update = (event: ProgressEvent): void => {
    if (!this.enabled) return;
    const now = Date.now();
    if (event.phase === 'start') this.started.set(event.table, now);
    const elapsed = Math.max(1, now - (this.started.get(event.table) ?? now));
    const rate = (event.rowsDone * 1000) / elapsed;
    const total = event.rowsTotal;
    const pct = total ? Math.min(100, Math.floor((event.rowsDone * 100) / Math.max(1, total))) : undefined;
    const eta = total && rate > 0 && event.phase !== 'done' ? Math.ceil((total - event.rowsDone) / rate) : undefined;
    const parts = [
      `[${event.index + 1}/${event.count}] ${event.table}`,
      total !== undefined ? `${formatCount(event.rowsDone)} / ${formatCount(total)} rows${pct !== undefined ? ` (${pct}%)` : ''}` : `${formatCount(event.rowsDone)} rows`,
      event.rowsDone > 0 ? `${formatCount(Math.round(rate))} rows/s` : '',
      eta !== undefined ? `ETA ${eta} s` : '',
      event.phase === 'done' ? 'done' : '',
    ].filter(Boolean);
    // Cut to the terminal's width so the line is rewritten in place; a terminal that reports
    // no width (0 or none) gets the whole line.
    const columns = this.stream.columns;
    const line = parts.join('  ');
    this.stream.write(`\r\u001b[2K${columns && columns > 1 ? line.slice(0, columns - 1) : line}`);
    this.active = true;
    if (event.phase === 'done') {
      this.stream.write('\n');
      this.active = false;
    }
  };

  /** Ends a line left open (on failure). */
  finish(): void {
    if (this.active) this.stream.write('\n');
    this.active = false;
  }
}
