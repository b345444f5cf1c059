import { Flags } from '@oclif/core';
import { DEFAULT_MODES, WATCH_DEFAULTS, watch } from '@hesap/api';
import { HesapCommand } from '../../base-command';
import { epochDatesFlag, epochDatesFrom, locationFlags, locationOf, mergeFlags, mergeFrom, movedTablesFrom, policiesFrom, policyFlags, syncFlags, syncFrom, tableFlags, targetOf, timeoutFlags, timeoutsFrom } from '../../flags';
import { JsonLinesOutput, WatchDisplay, type WatchSummary } from '../../watch-output';

// Every flag of `db push` but --dry-run (a watch that commits nothing has nothing to watch for).
const { 'dry-run': _dryRun, ...pushMergeFlags } = mergeFlags('push', "host name and the local file's path");

export default class DbWatch extends HesapCommand<WatchSummary> {
  static override summary = 'Push the local SQLite database to PostgreSQL after each local commit, until Ctrl-C.';
  static override description =
    'Pushes once at the start, then notices each commit to the local file within a second (PRAGMA data_version, read on a read-only connection of its own), ' +
    'waits for the writes to go quiet (--debounce, at most --max-wait), and runs `hesap db push` with the same flags: one transaction each.\n\n' +
    'A push that fails on the connection is tried again with backoff (1 s doubling to 30 s); the next push carries every change made meanwhile. ' +
    'A push that fails on the data or the schema is reported and tried again after the next local commit.\n\n' +
    'Ctrl-C (SIGINT) or SIGTERM stops it with exit code 0: a push in flight is rolled back (or ends, when it had already committed); a second Ctrl-C ends at once, ' +
    'and the server rolls back what was open. On a terminal one status line is rewritten in place; --json prints one JSON object per event, one a line.';
  static override examples = [
    '<%= config.bin %> db watch --local app.db',
    '<%= config.bin %> db watch --key users=email --update',
    '<%= config.bin %> db watch --json > watch.log',
  ];
  static override baseFlags = {
    ...HesapCommand.baseFlags,
    json: Flags.boolean({ description: 'Print one JSON object per line on stdout, one per event: watching, change, push, error, stopped.' }),
  };
  static override flags = {
    ...locationFlags,
    ...tableFlags,
    ...timeoutFlags,
    mode: Flags.option({ options: ['merge', 'upsert', 'append', 'replace'] as const, description: `How rows meet the rows already there (default ${DEFAULT_MODES.push}).` })(),
    ...pushMergeFlags,
    ...syncFlags,
    ...policyFlags,
    ...epochDatesFlag,
    debounce: Flags.integer({ description: `Milliseconds without a new local commit before pushing (default ${WATCH_DEFAULTS.debounceMs}).`, min: 0, helpValue: '<ms>' }),
    'max-wait': Flags.integer({ description: `Longest wait in milliseconds from a local commit to its push while commits keep coming (default ${WATCH_DEFAULTS.maxWaitMs}).`, min: 0, helpValue: '<ms>' }),
  };

  protected async execute(): Promise<WatchSummary> {
    // With --json every document is a line of its own: each event, the last word, and an error.
    this.out = new JsonLinesOutput(this.out.json);
    const { flags } = await this.parseFlags(DbWatch);
    const local = locationOf('local', flags);
    const remote = locationOf('remote', flags);
    const { dryRun: _never, ...merge } = mergeFrom({ ...flags, 'dry-run': false });
    const options = { local, remote, mode: flags.mode, ...merge, ...syncFrom(flags), ...movedTablesFrom(flags), ...epochDatesFrom(flags), ...timeoutsFrom(flags), policies: policiesFrom(flags), log: this.logTo };
    if (flags.mode === 'replace') {
      await this.confirmOverwrite({ operation: 'push', options }, { local: true, remote: 'to', target: targetOf(flags) }, flags.yes);
    }
    // Listening before the watch starts: a signal at any moment after this stops it cleanly.
    let stop!: (signal: string) => void;
    const signalled = new Promise<string>((resolve) => (stop = resolve));
    process.once('SIGINT', stop).once('SIGTERM', stop);
    try {
      const handle = watch({ ...options, debounceMs: flags.debounce, maxWaitMs: flags['max-wait'] });
      this.display = new WatchDisplay(this.out, handle);
      const signal = await signalled;
      // The first signal stops gracefully; with no handler left, a second one ends the process
      // at once (the server rolls back a transaction left open).
      process.off('SIGINT', stop).off('SIGTERM', stop);
      await handle.stop();
      const status = handle.status();
      return { event: 'stopped', at: new Date().toISOString(), signal, pushes: status.pushes, pending: status.pending };
    } finally {
      process.off('SIGINT', stop).off('SIGTERM', stop);
    }
  }

  private display?: WatchDisplay;

  /** The summary is the last event: one JSON line with --json, like the others. */
  protected override report(result: WatchSummary): void {
    this.display?.finish(result);
  }

  protected render(result: WatchSummary): void {
    this.display?.finish(result);
  }
}
