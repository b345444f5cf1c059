import { HesapError, redactUrl } from '@hesap/core';

/**
 * Everything the CLI prints goes through here: `--json` output is one document on stdout,
 * human output and progress go where they belong, colour only on a TTY (and never with
 * NO_COLOR). Output is never scanned for a password (a password such as `table` or `e`
 * would corrupt it): what reaches here was masked where its secrets stand, by the API
 * (`describe`) and by HesapError, before it was printed, logged, stored or thrown.
 */
export class Output {
  readonly color: boolean;

  constructor(
    readonly json: boolean,
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.color = !json && Boolean(stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  }

  /** A line of human output on stdout (nothing in --json mode). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(text + '\n');
  }

  /** A line on stderr (notes, warnings), in both modes. */
  note(text: string): void {
    this.stderr.write(text + '\n');
  }

  /** The one JSON document of a --json run. */
  document(value: unknown): void {
    this.stdout.write(JSON.stringify(value, jsonReplacer, 2) + '\n');
  }

  paint(code: number, text: string): string {
    return this.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }
  bold = (t: string) => this.paint(1, t);
  dim = (t: string) => this.paint(2, t);
  red = (t: string) => this.paint(31, t);
  green = (t: string) => this.paint(32, t);
  yellow = (t: string) => this.paint(33, t);
  cyan = (t: string) => this.paint(36, t);

  /** An aligned table; numbers right-aligned. */
  table(headers: string[], rows: Array<Array<string | number | undefined>>): void {
    const cells = rows.map((r) => r.map((c) => (c === undefined ? '-' : typeof c === 'number' ? formatCount(c) : c)));
    const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
    const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => visible(r[i] ?? ''))));
    const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === undefined));
    const fmt = (r: string[]) =>
      r
        .map((c, i) => {
          const pad = ' '.repeat(Math.max(0, widths[i]! - visible(c)));
          return numeric[i] ? pad + c : c + pad;
        })
        .join('  ')
        .trimEnd();
    this.line(this.bold(fmt(headers)));
    for (const r of cells) this.line(fmt(r));
  }
}

/** BigInts as strings, errors as their JSON form. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof HesapError) return value.toJSON();
  return value;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** 1234567 -> "1,234,567" (toLocaleString would load ICU's number data: 20 ms of a status). */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return String(n);
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export { redactUrl };
