import { Flags } from '@oclif/core';
import { push, type PushResult } from '@hesap/api';
import type { PushMode } from '@hesap/core';
import { connectionFlags, HesapCommand, list } from '../../base-command';
import { requireLocal, requireRemote } from '../../config';
import { policyFlags, policiesFrom, renderTransfer } from '../../transfer-output';
import { ProgressDisplay } from '../../progress';

export default class DbPush extends HesapCommand<PushResult> {
  static override summary = 'Push the local SQLite database to PostgreSQL, in one transaction.';
  static override description =
    'Creates missing tables with their keys and loads them with COPY. With --mode replace the remote tables end holding exactly the local rows. ' +
    'A failure at any point leaves the remote database as it was.';
  static override examples = ['<%= config.bin %> db push', '<%= config.bin %> db push --mode replace --yes', '<%= config.bin %> db push --dry-run --json'];
  static override flags = {
    ...connectionFlags,
    mode: Flags.option({ options: ['create', 'replace', 'merge', 'upsert', 'append'] as const, default: 'create' as PushMode, description: 'How rows meet the rows already there.' })(),
    'dry-run': Flags.boolean({ description: 'Do everything inside the transaction, report, then roll back.' }),
    ...policyFlags,
  };

  protected async execute(): Promise<PushResult> {
    const { flags } = await this.parse(DbPush);
    this.setupLogging(flags);
    const local = requireLocal(flags.local);
    const remote = requireRemote(flags.remote);
    this.out.protect(remote);
    if (flags.mode === 'replace' && !flags['dry-run']) {
      await this.confirm(`Replace the content of the remote tables with the local rows?`, flags.yes);
    }
    const progress = new ProgressDisplay();
    const abort = new AbortController();
    const stop = (signal: string) => abort.abort(new Error(`${signal} received`));
    process.once('SIGINT', stop).once('SIGTERM', stop);
    try {
      return await push({
        local,
        remote,
        mode: flags.mode,
        dryRun: flags['dry-run'],
        tables: list(flags.tables),
        exclude: list(flags.exclude),
        policies: policiesFrom(flags),
        connectTimeoutSeconds: flags['connect-timeout'],
        lockTimeoutSeconds: flags['lock-timeout'],
        onProgress: this.out.json ? undefined : progress.update,
        log: this.logTo,
        signal: abort.signal,
      });
    } finally {
      progress.finish();
      process.off('SIGINT', stop).off('SIGTERM', stop);
    }
  }

  protected render(result: PushResult): void {
    renderTransfer(this.out, result, result.dryRun ? 'Dry run: nothing was committed.' : 'Pushed');
  }
}
