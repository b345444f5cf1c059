import { Flags } from '@oclif/core';
import { copy, DEFAULT_MODES, type CopyResult } from '@hesap/api';
import { EXIT, HesapCommand } from '../../base-command';
import { epochDatesFlag, epochDatesFrom, mergeFlags, mergeFrom, movedTablesFrom, policiesFrom, policyFlags, tableFlags, timeoutFlags, timeoutsFrom } from '../../flags';
import { renderTransfer } from '../../transfer-output';

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
    ...tableFlags,
    mode: Flags.option({ options: ['create', 'replace', 'merge', 'upsert', 'append'] as const, description: `How rows meet the rows already there (default ${DEFAULT_MODES.copy}).` })(),
    ...mergeFlags('copy', 'the --from location'),
    ...timeoutFlags,
    ...policyFlags,
    ...epochDatesFlag,
  };

  protected async execute(): Promise<CopyResult> {
    const { flags } = await this.parseFlags(DbCopy);
    const { from, to } = flags;
    // A file target keeps its other tables (fresh: false): a copy never replaces a whole file unasked.
    const options = { from, to, mode: flags.mode, fresh: false, ...mergeFrom(flags), ...movedTablesFrom(flags), ...epochDatesFrom(flags), ...timeoutsFrom(flags), policies: policiesFrom(flags), log: this.logTo };
    if (flags.mode === 'replace' && !flags['dry-run']) await this.confirmOverwrite({ operation: 'copy', options }, {}, flags.yes);
    return this.transfer((hooks) => copy({ ...options, ...hooks }));
  }

  protected override exitCodeFor(result: CopyResult): number {
    return result.complete ? EXIT.ok : EXIT.rowsLeftOut;
  }

  protected render(result: CopyResult): void {
    renderTransfer(this.out, result, 'Copied');
  }
}
