import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { Command, Flags, type Interfaces } from '@oclif/core';
import { HesapError, maskConnectionTextsIn, type HesapErrorCode } from '@hesap/core';
import { loadAdapterPlugins } from '@hesap/api';
import { Output } from './output';
import { runTransfer, type TransferHooks } from './transfer-run';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Parsed flags or arguments by name (oclif's FlagOutput and ArgOutput, which it does not export). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ParsedValues = { [name: string]: any };

/**
 * Exit codes: 0 success, 1 the operation failed (or verify found a difference), 2 usage or
 * configuration, 3 a push or copy committed but left source rows out (listed; `complete: false`).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, rowsLeftOut: 3 } as const;

const USAGE_CODES: readonly HesapErrorCode[] = ['USAGE', 'CONFIG_MISSING', 'CONFIG_INVALID', 'LOCAL_FILE_MISSING'];

/**
 * The shell of every hesap command: shared flags, one JSON document with --json, errors
 * as a one-line message with a remedy (a stack trace only with --log-level debug),
 * exit codes, confirmation for destructive work. Secrets are masked where they stand
 * (connection texts, by their structure) before anything reaches the output.
 * A command implements `execute` (flags → options → one API function, returning its
 * result) and `render` (the human form of that result).
 */
export abstract class HesapCommand<T> extends Command {
  static override baseFlags = {
    json: Flags.boolean({ description: 'Print one JSON document on stdout: the result, or {"error": ...}.' }),
    yes: Flags.boolean({ char: 'y', description: 'Do not ask before deleting or overwriting data (needed when not on a terminal).' }),
    'log-level': Flags.option({ options: ['error', 'warn', 'info', 'debug'] as const, default: 'warn' as LogLevel, description: 'Log detail on stderr.' })(),
    'log-file': Flags.string({ description: 'Write logs to this file (mode 0600) instead of stderr.', helpValue: '<file>' }),
  };

  protected out!: Output;
  protected logLevel: LogLevel = 'warn';
  private logger?: { [K in LogLevel]: (msg: string) => void } & { flush?: () => void };
  /** Whether the log goes to --log-file (else it shares stderr with the messages). */
  private logsToFile = false;

  /** Parses flags, calls the API, returns the typed result. */
  protected abstract execute(): Promise<T>;
  /** Prints the result for people. */
  protected abstract render(result: T): void;
  /** The exit code for a result that did not throw. */
  protected exitCodeFor(_result: T): number {
    return EXIT.ok;
  }

  override async run(): Promise<T | undefined> {
    this.out = new Output(this.argv.includes('--json'));
    const level = /--log-level[= ](error|warn|info|debug)/.exec(this.argv.join(' '))?.[1] as LogLevel | undefined;
    if (level) this.logLevel = level;
    try {
      await loadAdapterPlugins();
      const result = await this.execute();
      if (this.out.json) this.out.document(result);
      else this.render(result);
      process.exitCode = this.exitCodeFor(result);
      return result;
    } catch (error) {
      this.fail(error);
      return undefined;
    } finally {
      this.logger?.flush?.();
    }
  }

  /** Parses the flags and arguments, and sets up logging as they say. */
  protected async parseFlags<F extends ParsedValues, B extends ParsedValues, A extends ParsedValues>(
    options: Interfaces.Input<F, B, A>,
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await this.parse(options);
    this.setupLogging(parsed.flags as unknown as { 'log-level': LogLevel; 'log-file'?: string });
    return parsed;
  }

  /** Runs one transfer with progress on a terminal and SIGINT/SIGTERM as an abort (the API rolls the target back). */
  protected transfer<R>(run: (hooks: TransferHooks) => Promise<R>): Promise<R> {
    return runTransfer(this.out.json, run);
  }

  /** Sets up logging once flags are parsed. Logs go to stderr or --log-file, never stdout. */
  private setupLogging(flags: { 'log-level': LogLevel; 'log-file'?: string }): void {
    this.logLevel = flags['log-level'];
    // pino is loaded only here, after the flags said what to log.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pino = require('pino') as typeof import('pino');
    const destination = flags['log-file']
      ? pino.destination({ dest: flags['log-file'], sync: true, mode: 0o600, append: true } as Parameters<typeof pino.destination>[0])
      : pino.destination({ dest: 2, sync: true });
    if (flags['log-file']) {
      try {
        fs.chmodSync(flags['log-file'], 0o600);
      } catch {
        // created by pino with the mode above
      }
    }
    this.logsToFile = Boolean(flags['log-file']);
    const logger = pino({ level: this.logLevel, base: { command: this.id } }, destination);
    // The API logs connection texts masked; a driver's message quoted in a log line is masked by its structure too.
    const clean = maskConnectionTextsIn;
    this.logger = {
      error: (m) => logger.error(clean(m)),
      warn: (m) => logger.warn(clean(m)),
      info: (m) => logger.info(clean(m)),
      debug: (m) => logger.debug(clean(m)),
      flush: () => logger.flush?.(),
    };
  }

  /** The log function handed to the API. */
  protected logTo = (level: 'debug' | 'info' | 'warn', message: string): void => {
    this.logger?.[level](message);
  };

  /** Asks before destroying data; `--yes` answers for scripts. Off a terminal without --yes it refuses. */
  protected async confirm(question: string, yes: boolean): Promise<void> {
    if (yes) return;
    if (!process.stdin.isTTY || !process.stderr.isTTY || this.out.json) {
      throw new HesapError('USAGE', `${question.replace(/\?$/, '')}: this needs confirmation.`, {
        hints: ['Pass --yes to confirm when running from a script.'],
      });
    }
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      throw new HesapError('USAGE', 'Stopped: not confirmed. Nothing was changed.');
    }
  }

  private fail(raw: unknown): void {
    const parseError = (raw as { oclif?: { exit?: number } })?.oclif?.exit === 2;
    const error =
      raw instanceof HesapError
        ? raw
        : new HesapError(parseError ? 'USAGE' : 'INTERNAL', (raw as Error)?.message ?? String(raw), {
            cause: raw,
            hints: parseError ? [`Run \`hesap ${this.id?.replace(/:/g, ' ') ?? ''} --help\` to see the flags.`] : [],
          });
    const code = USAGE_CODES.includes(error.code) ? EXIT.usage : EXIT.failed;
    // On stderr the error is the one-line message below; a JSON log line would only repeat it.
    if (this.logsToFile) this.logger?.error(`${error.code}: ${error.message}`);
    if (this.out.json) {
      this.out.document({ error: error.toJSON() });
    } else {
      this.out.note(`${this.out.red('Error')} ${this.out.dim(`[${error.code}]`)} ${error.message.split('\n')[0]}`);
      for (const hint of error.hints) this.out.note(`  ${this.out.cyan('→')} ${hint}`);
      if (this.logLevel === 'debug') {
        let cause: unknown = error;
        while (cause instanceof Error) {
          // A cause is the driver's own error, its message as the driver wrote it.
          this.out.note(this.out.dim(maskConnectionTextsIn(cause.stack ?? cause.message)));
          cause = cause.cause;
        }
      }
    }
    process.exitCode = code;
  }
}
