import type { Command } from '@oclif/core';
import { HesapError } from '@hesap/core';
import { closest } from './suggest';

/** What a usage line is made from: a command class, its flags and arguments. */
type CommandShape = Pick<Command.Class, 'flags' | 'args' | 'baseFlags'>;

/** `db:snapshot:restore` as people type it. */
export function spoken(id: string): string {
  return id.replace(/:/g, ' ');
}

/** The usage line of a command: its arguments and required flags, then `[flags]`. */
export function usageLine(bin: string, id: string, command: CommandShape): string {
  const args = Object.entries(command.args ?? {}).map(([name, a]) => (a.required ? `<${name}>` : `[${name}]`));
  const required = Object.entries(command.flags ?? {})
    .filter(([, f]) => f.required)
    .map(([name, f]) => {
      const options = (f as { options?: readonly string[] }).options;
      const value = options ? options.join('|') : (f as { helpValue?: string }).helpValue ?? '<value>';
      return f.type === 'boolean' ? `--${name}` : `--${name} ${value}`;
    });
  return [bin, spoken(id), ...args, ...required, '[flags]'].join(' ');
}

/** oclif's parse errors (unknown flag, missing flag or argument, a value not allowed). */
interface ParseError {
  message: string;
  oclif?: { exit?: number };
  parse?: unknown;
  /** Set on an unknown flag: the flags as typed. */
  flags?: string[];
  /** Set on a missing argument: the arguments' definitions; on an unexpected one: the words. */
  args?: Array<{ name?: string } | string>;
}

export function isParseError(error: unknown): error is ParseError {
  const e = error as ParseError | undefined;
  return Boolean(e && typeof e.message === 'string' && (e.parse !== undefined || e.oclif?.exit === 2));
}

const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * A parse error as one whole sentence that names the flag or argument (oclif's own text
 * keeps the name on a second line, "Missing required flag from", under a header), with
 * "did you mean" for an unknown flag, the usage line and where to see every flag.
 */
export function usageError(raw: ParseError, bin: string, id: string, command: CommandShape): HesapError {
  const hints: string[] = [];
  let message: string;
  if (Array.isArray(raw.flags) && raw.flags.length > 0) {
    message = `Unknown flag${raw.flags.length > 1 ? 's' : ''}: ${raw.flags.join(', ')}.`;
    const known = Object.entries({ ...command.baseFlags, ...command.flags }).map(([name, f]) => ({
      value: `--${name}`,
      spellings: [`--${name}`, ...(f.char ? [`-${f.char}`] : [])],
    }));
    known.push({ value: '--help', spellings: ['--help', '-h'] });
    for (const typed of raw.flags) {
      const meant = closest(typed.replace(/=.*$/, ''), known);
      if (meant.length > 0) hints.push(`Did you mean ${meant.map((m) => `\`${m}\``).join(' or ')}?`);
    }
  } else if (Array.isArray(raw.args) && raw.args.length > 0 && raw.args.every((a): a is { name: string } => typeof a === 'object' && Boolean(a.name))) {
    const names = raw.args.map((a) => `<${(a as { name: string }).name}>`);
    message = `Missing the required argument${names.length > 1 ? 's' : ''} ${names.join(', ')}.`;
  } else {
    const lines = raw.message
      .replace(ANSI, '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^See more help with --help$/.test(l) && !/^The following errors? occurred:$/.test(l));
    const missing = lines.flatMap((l) => /^Missing required flag (\S+)$/.exec(l)?.[1] ?? []).map((name) => `--${name}`);
    const others = lines.filter((l) => !/^Missing required flag /.test(l));
    const sentences = [...(missing.length > 0 ? [`Missing the required flag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`] : []), ...others];
    message = sentences.map((l) => (/[.:]$/.test(l) ? l : `${l}.`)).join(' ');
  }
  hints.push(`Usage: ${usageLine(bin, id, command)}`);
  hints.push(`Run \`${bin} ${spoken(id)} --help\` to see every flag.`);
  return new HesapError('USAGE', message, { cause: raw, hints });
}
