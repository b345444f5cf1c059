import { Flags } from '@oclif/core';
import { push, type PushResult } from '@hesap/api';
import type { PushMode } from '@hesap/core';
import { connectionFlags, EXIT, HesapCommand, list } from '../../base-command';
import { migrationTablesSetting, naturalKeys, requireLocal, requireRemote } from '../../config';
import { policyFlags, policiesFrom, renderTransfer } from '../../transfer-output';
import { ProgressDisplay } from '../../progress';

export default class DbPush extends HesapCommand<PushResult> {
  static override summary = 'Push the local SQLite database to PostgreSQL, in one transaction.';
  static override description =
    'Creates missing tables with their keys and loads them with COPY, in one transaction: a failure at any point leaves the remote database as it was.\n\n' +
    'merge (default): a local row whose natural key (a unique column such as a user\'s email, or --key) or remembered identity exists remotely is that row; ' +
    'new rows are added (with a new id if theirs is taken); foreign keys are rewritten so that children follow their parents; rows that cannot go in are skipped and listed (exit 3). ' +
    'New rows whose parent row exists nowhere refuse the push, unless --skip-orphans; tables the push creates take them, the key made NOT VALID.\n' +
    'upsert: match on the primary key, insert or update. append: insert rows whose primary key is new. ' +
    'replace: the remote tables end holding exactly the local rows. create: only into missing or empty tables.';
  static override examples = [
    '<%= config.bin %> db push',
    '<%= config.bin %> db push --dry-run',
    '<%= config.bin %> db push --key users=email --key groups=code --update',
    '<%= config.bin %> db push --mode replace --yes --json',
  ];
  static override flags = {
    ...connectionFlags,
    mode: Flags.option({ options: ['merge', 'upsert', 'append', 'replace', 'create'] as const, default: 'merge' as PushMode, description: 'How rows meet the rows already there.' })(),
    key: Flags.string({ description: 'Natural key of a table for merge: table=col[,col]. Repeatable. Also "keys" in hesap.config.json.', multiple: true, helpValue: 'table=col' }),
    update: Flags.boolean({ description: 'Merge: update matched rows whose other columns differ (default: leave them).' }),
    'skip-orphans': Flags.boolean({
      description: 'Leave out and list new rows whose parent row exists nowhere (SQLite let them in), instead of refusing the push. Exit code 3 says rows were left out.',
    }),
    strict: Flags.boolean({ description: 'Fail the whole push when any row would be skipped.' }),
    'source-id': Flags.string({ description: 'Who is pushing, for the identity map (default: host name and the local file\'s path).' }),
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
        keys: naturalKeys(flags.key),
        update: flags.update,
        strict: flags.strict,
        skipOrphans: flags['skip-orphans'],
        sourceId: flags['source-id'],
        tables: list(flags.tables),
        exclude: list(flags.exclude),
        migrationTables: migrationTablesSetting(),
        policies: policiesFrom(flags),
        connectTimeoutSeconds: flags['connect-timeout'],
        lockTimeoutSeconds: flags['lock-timeout'],
        idleTimeoutSeconds: flags['idle-timeout'],
        onProgress: this.out.json ? undefined : progress.update,
        log: this.logTo,
        signal: abort.signal,
      });
    } finally {
      progress.finish();
      process.off('SIGINT', stop).off('SIGTERM', stop);
    }
  }

  protected override exitCodeFor(result: PushResult): number {
    return result.complete ? EXIT.ok : EXIT.rowsLeftOut;
  }

  protected render(result: PushResult): void {
    renderTransfer(this.out, result, result.dryRun ? 'Dry run: nothing was committed.' : 'Pushed');
  }
}
