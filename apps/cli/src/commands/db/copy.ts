import { Flags } from '@oclif/core';
import { copy, type CopyResult } from '@hesap/api';
import type { PushMode } from '@hesap/core';
import { connectionFlags, EXIT, HesapCommand, list } from '../../base-command';
import { migrationTablesSetting, naturalKeys } from '../../config';
import { policiesFrom, policyFlags, renderTransfer } from '../../transfer-output';
import { runTransfer } from '../../transfer-run';

export default class DbCopy extends HesapCommand<CopyResult> {
  static override summary = 'Copy tables from any database hesap has an adapter for to any other, in one transaction.';
  static override description =
    'The general form of push and pull: --from and --to take any location an adapter accepts (a SQLite file, postgres://, snapshot:, ' +
    'or a scheme added by a plugin in hesap.config.json; `hesap adapters list` shows them). ' +
    'create (default): only into missing or empty tables. replace: the target tables end holding exactly the source rows. ' +
    'merge, upsert, append: as in `db push`, where the target supports them.';
  static override examples = [
    '<%= config.bin %> db copy --from app.db --to postgresql://localhost/app',
    '<%= config.bin %> db copy --from mysql://root@127.0.0.1/shop --to postgresql://localhost/shop --json',
    '<%= config.bin %> db copy --from postgresql://localhost/shop --to mysql://root@127.0.0.1/shop --mode replace --yes',
  ];
  static override flags = {
    from: Flags.string({ description: 'Where the rows come from: a SQLite file or a URL.', required: true, helpValue: '<url>' }),
    to: Flags.string({ description: 'Where the rows go: a SQLite file or a URL.', required: true, helpValue: '<url>' }),
    tables: connectionFlags.tables,
    exclude: connectionFlags.exclude,
    mode: Flags.option({ options: ['create', 'replace', 'merge', 'upsert', 'append'] as const, default: 'create' as PushMode, description: 'How rows meet the rows already there.' })(),
    key: Flags.string({ description: 'Natural key of a table for merge: table=col[,col]. Repeatable. Also "keys" in hesap.config.json.', multiple: true, helpValue: 'table=col' }),
    update: Flags.boolean({ description: 'Merge: update matched rows whose other columns differ (default: leave them).' }),
    'skip-orphans': Flags.boolean({
      description: 'Leave out and list new rows whose parent row exists nowhere (SQLite let them in), instead of refusing the push. Exit code 3 says rows were left out.',
    }),
    strict: Flags.boolean({ description: 'Fail the whole copy when any row would be skipped.' }),
    'source-id': Flags.string({ description: 'Who is copying, for the identity map of merges (default: the --from location).' }),
    'dry-run': Flags.boolean({ description: 'Do everything inside the transaction, report, then roll back.' }),
    'connect-timeout': connectionFlags['connect-timeout'],
    'lock-timeout': connectionFlags['lock-timeout'],
    'idle-timeout': connectionFlags['idle-timeout'],
    ...policyFlags,
  };

  protected async execute(): Promise<CopyResult> {
    const { flags } = await this.parse(DbCopy);
    this.setupLogging(flags);
    this.out.protect(flags.from);
    this.out.protect(flags.to);
    if (flags.mode === 'replace' && !flags['dry-run']) {
      await this.confirm(`Replace the content of the tables in ${flags.to} with the rows from ${flags.from}?`, flags.yes);
    }
    return runTransfer(this.out.json, ({ onProgress, signal }) =>
      copy({
        from: flags.from,
        to: flags.to,
        mode: flags.mode,
        dryRun: flags['dry-run'],
        // A file target keeps its other tables: a copy never replaces a whole file unasked.
        fresh: false,
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
        onProgress,
        log: this.logTo,
        signal,
      }),
    );
  }

  protected override exitCodeFor(result: CopyResult): number {
    return result.complete ? EXIT.ok : EXIT.rowsLeftOut;
  }

  protected render(result: CopyResult): void {
    renderTransfer(this.out, result, result.dryRun ? 'Dry run: nothing was committed.' : 'Copied');
  }
}
