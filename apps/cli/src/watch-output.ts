import type { WatchChange, WatchFailure, WatchHandle, WatchPush, WatchStatus } from '@hesap/api';
import { errorJson } from './error-output';
import { inFlags } from './flags';
import { formatCount, formatDuration, jsonReplacer, Output } from './output';
import { summaryLine } from './transfer-output';

/** How `hesap db watch` ended: printed last (the last JSON line with --json). */
export interface WatchSummary {
  event: 'stopped';
  at: string;
  /** The signal that stopped it. */
  signal: string;
  /** Pushes committed. */
  pushes: number;
  /** Local commits no push committed (the next push or watch sends them). */
  pending: boolean;
}

/**
 * The output of a command that prints JSON lines with --json: each document (an event, the
 * last word, or an error) on one line of its own.
 */
export class JsonLinesOutput extends Output {
  override document(value: unknown): void {
    this.stdout.write(JSON.stringify(value, jsonReplacer) + '\n');
  }
}

/** `12:01:02`, local time. */
function clock(at: string): string {
  return new Date(at).toTimeString().slice(0, 8);
}

/**
 * What a watch shows while it runs, on stdout: with --json one JSON object per event, one a
 * line (`watching`, `change`, `push`, `error`, then `stopped`); on a terminal one status line
 * rewritten in place (failures that wait for a local change are also left above it); otherwise
 * a plain line per push, failure and stop.
 */
export class WatchDisplay {
  private readonly live: boolean;
  private lineOpen = false;

  constructor(
    private readonly out: Output,
    private readonly handle: WatchHandle,
  ) {
    this.live = !out.json && Boolean(out.stdout.isTTY);
    handle.on('push', this.push);
    handle.on('error', this.failure);
    handle.on('change', this.change);
    handle.on('status', this.status);
    this.started();
  }

  private started(): void {
    const { local, remote } = this.handle;
    if (this.out.json) return this.event({ event: 'watching', at: new Date().toISOString(), local, remote });
    const line = `Watching ${local} → ${remote}: a push after each local commit. Ctrl-C stops.`;
    if (this.live) this.permanent(line);
    else this.out.line(line);
  }

  private readonly change = (c: WatchChange): void => {
    if (this.out.json) this.event({ event: 'change', ...c });
  };

  private readonly push = (p: WatchPush): void => {
    if (this.out.json) return this.event({ event: 'push', ...p });
    if (this.live) return;
    this.out.line(`${clock(p.at)} ${summaryLine(this.out, p.result, 'Pushed')}${conflictsText(p)}`);
    if (!p.complete) this.out.line(`${clock(p.at)} ${this.out.yellow(leftOutText(p))} (\`hesap db push\` lists them).`);
  };

  private readonly failure = (f: WatchFailure): void => {
    if (this.out.json) {
      const { error, ...rest } = f;
      return this.event({ event: 'error', ...rest, error: errorJson(error) });
    }
    const line = `${clock(f.at)} ${this.out.red('Push failed')} ${this.out.dim(`[${f.error.code}]`)} ${inFlags(f.error.message).split('\n')[0]}; ${nextStep(f)}`;
    // On a terminal the status line says a retry; a failure that waits for the user stays in view.
    if (this.live) {
      if (!f.retriable) this.permanent(line);
    } else {
      this.out.line(line);
    }
  };

  private readonly status = (s: WatchStatus): void => {
    if (!this.live) return;
    const columns = this.out.stdout.columns;
    const line = statusText(this.out, s);
    this.out.stdout.write(`\r\u001b[2K${columns && columns > 1 ? line.slice(0, columns - 1) : line}`);
    this.lineOpen = true;
  };

  /** A line left above the status line. */
  private permanent(line: string): void {
    this.out.stdout.write(`${this.lineOpen ? '\r\u001b[2K' : ''}${line}\n`);
    this.lineOpen = false;
  }

  private event(value: Record<string, unknown>): void {
    this.out.document(value);
  }

  /** The last word: the summary, after the status line. */
  finish(summary: WatchSummary): void {
    this.handle.off('push', this.push).off('error', this.failure).off('change', this.change).off('status', this.status);
    if (this.out.json) return this.event({ ...summary });
    const left = summary.pending ? ' Local changes not pushed yet are sent by the next push or watch.' : ' Everything committed locally was pushed.';
    const line = `Stopped (${summary.signal}) after ${formatCount(summary.pushes)} push${summary.pushes === 1 ? '' : 'es'}.${left}`;
    if (this.live) this.permanent(line);
    else this.out.line(line);
  }
}

/** The conflicts of a push (rows changed on both sides since the last one), when there are any. */
function conflictsText(p: WatchPush): string {
  return p.conflicts === 0 ? '' : `; ${formatCount(p.conflicts)} conflict${p.conflicts === 1 ? '' : 's'}`;
}

function leftOutText(p: Pick<WatchPush, 'rowsLeftOut'>): string {
  return `${formatCount(p.rowsLeftOut)} local row${p.rowsLeftOut === 1 ? '' : 's'} left out`;
}

function nextStep(f: WatchFailure): string {
  return f.retriable ? `retrying in ${formatDuration(f.retryInMs ?? 0)} (attempt ${f.attempt + 1})` : 'waiting for the next local change';
}

/** The live line: what it does now, the last push, and the last failure while it matters. */
export function statusText(o: Output, s: WatchStatus): string {
  const now =
    s.state === 'pushing'
      ? o.cyan('pushing…')
      : s.state === 'retrying'
        ? o.yellow(`${s.lastError?.code ?? 'failed'}: retry at ${clock(s.nextRetryAt ?? new Date().toISOString())} (failed ${s.failures}×)`)
        : s.state === 'blocked'
          ? o.red(`${s.lastError?.code ?? 'failed'}: waiting for the next local change`)
          : s.state === 'waiting'
            ? o.cyan('local change, pushing soon')
            : s.state === 'idle'
              ? o.green('up to date')
              : s.state;
  const parts = [now];
  const p = s.lastPush;
  if (p) {
    const changed = p.rows.inserted + p.rows.updated;
    parts.push(
      `last push ${clock(p.at)}: ${formatCount(changed)} row${changed === 1 ? '' : 's'} (${formatCount(p.rows.inserted)} inserted, ${formatCount(p.rows.updated)} updated), ${p.tables} table${p.tables === 1 ? '' : 's'}, ${formatDuration(p.durationMs)}`,
    );
    if (!p.complete) parts.push(o.yellow(leftOutText(p)));
    if (p.conflicts > 0) parts.push(`${formatCount(p.conflicts)} conflict${p.conflicts === 1 ? '' : 's'}`);
  }
  parts.push(`${formatCount(s.pushes)} push${s.pushes === 1 ? '' : 'es'}`);
  return parts.join(' · ');
}
