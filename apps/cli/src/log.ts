import * as fs from 'node:fs';
import { HesapError } from '@hesap/core';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'pretty' | 'json';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const COLOUR: Record<LogLevel, number> = { error: 31, warn: 33, info: 36, debug: 2 };

export interface LogSettings {
  level: LogLevel;
  /** JSON lines appended to this file (mode 0600) instead of lines on stderr. */
  file?: string;
  /** On stderr: one readable line (default), or JSON lines, which a terminal never gets. */
  format: LogFormat;
  /** Who logs: the command id, in each JSON line. */
  command?: string;
  /** Every message passes through here first (secrets scrubbed). */
  clean: (text: string) => string;
  stderr?: NodeJS.WriteStream;
}

export interface Logger {
  log(level: LogLevel, message: string): void;
  /** Whether lines go to a file (then stderr carries only the messages for people). */
  readonly toFile: boolean;
}

/**
 * The CLI's log. People on a terminal get one line per entry (`warn  Attempt 1 failed …`),
 * coloured when colour is allowed; machines get JSON lines, in `--log-file` or on stderr
 * when it is not a terminal and `--log-format json` asks for them.
 */
export function createLogger(settings: LogSettings): Logger {
  const stderr = settings.stderr ?? process.stderr;
  const json = Boolean(settings.file) || (settings.format === 'json' && !stderr.isTTY);
  const colour = !json && Boolean(stderr.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  let fd: number | undefined;
  if (settings.file) {
    try {
      fd = fs.openSync(settings.file, 'a', 0o600);
      // An existing file keeps its mode on open: make it private too.
      fs.fchmodSync(fd, 0o600);
    } catch (error) {
      throw new HesapError('CONFIG_INVALID', `The log file ${settings.file} cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
        cause: error,
        hints: ['Give --log-file a path in a folder that exists and that you may write to.'],
      });
    }
  }
  const write = (line: string) => (fd === undefined ? stderr.write(line) : fs.writeSync(fd, line));
  return {
    toFile: fd !== undefined,
    log(level, message) {
      if (RANK[level] > RANK[settings.level]) return;
      const text = settings.clean(message);
      if (json) {
        write(JSON.stringify({ level, time: new Date().toISOString(), command: settings.command, msg: text }) + '\n');
        return;
      }
      const label = level.padEnd(5);
      const oneLine = text.replace(/\s*\n\s*/g, ' ');
      write(`${colour ? `\u001b[${COLOUR[level]}m${label}\u001b[0m` : label} ${oneLine}\n`);
    },
  };
}
