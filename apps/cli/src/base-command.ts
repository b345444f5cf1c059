import * as readline from 'node:readline';
import { Command, Flags, type Interfaces } from '@oclif/core';
import { HesapError, maskConnectionTextsIn, type HesapErrorCode } from '@hesap/core';
import { loadAdapterPlugins, preview, type PreviewRequest } from '@hesap/api';
import { EXIT, renderError } from './error-output';
import { createLogger, type LogFormat, type Logger, type LogLevel } from './log';
import { Output } from './output';
import { overwriteQuestion, type OverwriteWords } from './overwrite-question';
import { runTransfer, type TransferHooks } from './transfer-run';
import { isParseError, usageError, usageLine } from './usage';

export type { LogLevel } from './log';
export { EXIT } from './error-output';

/** Parsed flags or arguments by name (oclif's FlagOutput and ArgOutput, which it does not export). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ParsedValues = { [name: string]: any };

const USAGE_CODES: readonly HesapErrorCode[] = ['USAGE', 'CONFIG_MISSING', 'CONFIG_INVALID', 'LOCAL_FILE_MISSING'];

/** A prompt answered no: nothing was changed, which is said plainly, not as an error. */
class Declined extends Error {}

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
    'log-file': Flags.string({ description: 'Write logs to this file as JSON lines (mode 0600) instead of stderr.', helpValue: '<file>' }),
    'log-format': Flags.option({
      options: ['pretty', 'json'] as const,
      default: 'pretty' as LogFormat,
      description: 'Logs on stderr: one readable line each, or JSON lines (only when stderr is not a terminal).',
    })(),
  };

  protected out!: Output;
  protected logLevel: LogLevel = 'warn';
  private logger?: Logger;

  /** Parses flags, calls the API, returns the typed result. */
  protected abstract execute(): Promise<T>;
  /** Prints the result for people. */
  protected abstract render(result: T): void;
  /** Prints the result: the one JSON document with --json, else `render`. */
  protected report(result: T): void {
    if (this.out.json) this.out.document(result);
    else this.render(result);
  }
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
      this.report(result);
      process.exitCode = this.exitCodeFor(result);
      return result;
    } catch (error) {
      if (error instanceof Declined) {
        this.out.note('Nothing changed.');
        process.exitCode = EXIT.declined;
      } else {
        this.fail(error);
      }
      return undefined;
    }
  }

  /** Parses the flags and arguments, and sets up logging as they say. */
  protected async parseFlags<F extends ParsedValues, B extends ParsedValues, A extends ParsedValues>(
    options: Interfaces.Input<F, B, A>,
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await this.parse(options);
    const flags = parsed.flags as unknown as { 'log-level': LogLevel; 'log-file'?: string; 'log-format': LogFormat };
    this.logLevel = flags['log-level'];
    this.logger = createLogger({ level: flags['log-level'], file: flags['log-file'], format: flags['log-format'], command: this.id, clean: maskConnectionTextsIn });
    return parsed;
  }

  /** Runs one transfer with progress on a terminal and SIGINT/SIGTERM as an abort (the API rolls the target back). */
  protected transfer<R>(run: (hooks: TransferHooks) => Promise<R>): Promise<R> {
    return runTransfer(this.out.json, run);
  }

  protected logTo = (level: 'debug' | 'info' | 'warn', message: string): void => {
    this.logger?.log(level, message);
  };

  /**
   * Asks before destroying data; `--yes` answers for scripts. Off a terminal without --yes it
   * refuses, saying the question's facts. A question given as a function (one that reads the
   * databases for its facts) is worked out only when it is asked, so a failure to read them
   * is the command's failure, before anything is asked.
   */
  protected async confirm(ask: string | (() => Promise<string>), yes: boolean): Promise<void> {
    if (yes) return;
    const question = typeof ask === 'string' ? ask : await ask();
    if (!process.stdin.isTTY || !process.stderr.isTTY || this.out.json) {
      throw new HesapError('USAGE', `${question.replace(/\?$/, '')}: this needs confirmation.`, {
        hints: ['Pass --yes to confirm when running from a script.'],
      });
    }
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) throw new Declined();
  }

  /**
   * Asks before an operation overwrites a database, naming it and what it holds there now
   * (read through `preview` with the options the operation will run with).
   */
  protected confirmOverwrite(request: PreviewRequest, words: OverwriteWords, yes: boolean): Promise<void> {
    return this.confirm(async () => overwriteQuestion(await preview(request), words), yes);
  }

  /** The usage line of this command, as `hesap <id> <args> <required flags> [flags]`. */
  protected usage(): string {
    return usageLine(this.config.bin, this.id ?? '', this.ctor);
  }

  private fail(raw: unknown): void {
    const error = isParseError(raw)
      ? usageError(raw, this.config.bin, this.id ?? '', this.ctor)
      : raw instanceof HesapError
        ? raw
        : new HesapError('INTERNAL', (raw as Error)?.message ?? String(raw), { cause: raw });
    // A usage error the API found (a table on neither side) gets the usage line too.
    if (error.code === 'USAGE' && !error.hints.some((h) => h.startsWith('Usage: '))) error.hints.push(`Usage: ${this.usage()}`);
    // On stderr the error is the one-line message below; a JSON log line would only repeat it.
    if (this.logger?.toFile) this.logger.log('error', `${error.code}: ${error.message}`);
    renderError(this.out, error, this.logLevel === 'debug');
    process.exitCode = USAGE_CODES.includes(error.code) ? EXIT.usage : EXIT.failed;
  }
}
