import { Flags } from '@oclif/core';
import { DEFAULT_MODES, push, type PushResult } from '@hesap/api';
import { EXIT, HesapCommand } from '../../base-command';
import { epochDatesFlag, epochDatesFrom, locationFlags, locationOf, mergeFlags, mergeFrom, movedTablesFrom, policiesFrom, policyFlags, syncFlags, syncFrom, tableFlags, targetOf, timeoutFlags, timeoutsFrom } from '../../flags';
import { renderTransfer } from '../../transfer-output';

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
    ...locationFlags,
    ...tableFlags,
    ...timeoutFlags,
    mode: Flags.option({ options: ['merge', 'upsert', 'append', 'replace', 'create'] as const, description: `How rows meet the rows already there (default ${DEFAULT_MODES.push}).` })(),
    ...mergeFlags('push', "host name and the local file's path"),
    ...policyFlags,
    ...epochDatesFlag,
    incremental: Flags.boolean({
      allowNo: true,
      default: true,
      description:
        'Merge modes: send only the rows changed since the last push from this file to this database (a shadow of it is kept in .hesap/); every row when that cannot be trusted, saying why. --no-incremental sends and matches every row.',
    }),
    ...syncFlags,
  };

  protected async execute(): Promise<PushResult> {
    const { flags } = await this.parseFlags(DbPush);
    const local = locationOf('local', flags);
    const remote = locationOf('remote', flags);
    const options = { local, remote, mode: flags.mode, incremental: flags.incremental, ...syncFrom(flags), ...mergeFrom(flags), ...movedTablesFrom(flags), ...epochDatesFrom(flags), ...timeoutsFrom(flags), policies: policiesFrom(flags), log: this.logTo };
    if (flags.mode === 'replace' && !flags['dry-run']) {
      await this.confirmOverwrite({ operation: 'push', options }, { local: true, remote: 'to', target: targetOf(flags) }, flags.yes);
    }
    return this.transfer((hooks) => push({ ...options, ...hooks }));
  }

  protected override exitCodeFor(result: PushResult): number {
    if (!result.complete) return EXIT.rowsLeftOut;
    return result.conflicts.some((c) => c.kept === 'remote') ? EXIT.conflicts : EXIT.ok;
  }

  protected render(result: PushResult): void {
    renderTransfer(this.out, result, 'Pushed');
  }
}
