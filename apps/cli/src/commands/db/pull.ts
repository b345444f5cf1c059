import * as fs from 'node:fs';
import { Flags } from '@oclif/core';
import { naturalKeys, pull, type PullResult } from '@hesap/api';
import { EXIT, HesapCommand } from '../../base-command';
import { epochDatesFlag, epochDatesFrom, locationFlags, locationOf, movedTablesFrom, tableFlags, targetOf, timeoutFlags, timeoutsFrom } from '../../flags';
import { renderPullMerge, renderTransfer } from '../../transfer-output';

export default class DbPull extends HesapCommand<PullResult> {
  static override summary = 'Pull PostgreSQL into the local SQLite file, as a backup, or merge production\'s rows into it (--mode merge).';
  static override description =
    'Reads every table from one consistent snapshot into a temporary database, then installs it into the local file in one SQLite transaction ' +
    '(waiting up to --lock-timeout for your app\'s write), so an app that has the file open keeps working. Tables not pulled, views, triggers and user_version stay.\n\n' +
    '--mode merge: the rows meet the file\'s instead, as a push meets production\'s rows, in reverse: rows production added or changed since the last push come down ' +
    '(under a new id where theirs is taken here, foreign keys following), rows only here stay, a row changed on both sides is listed and kept as here (exit 4), and the next push sends none of it back.';
  static override examples = ['<%= config.bin %> db pull', '<%= config.bin %> db pull --local backup.db --yes', '<%= config.bin %> db pull --mode merge'];
  static override flags = {
    ...locationFlags,
    ...tableFlags,
    ...timeoutFlags,
    ...epochDatesFlag,
    mode: Flags.option({
      options: ['replace', 'merge'] as const,
      description:
        'replace (default): the file\'s tables become the remote\'s. merge: the remote\'s rows meet the file\'s, matched as a push matches them (identity map, natural keys), foreign keys following; rows changed or added there come down, rows only here stay, and the next push sends none of them back.',
    })(),
    'on-conflict': Flags.option({
      options: ['keep-local', 'keep-remote', 'fail'] as const,
      description:
        'With --mode merge: a row changed here and in the remote since the last push is kept as this file has it and listed (keep-local, default; exit 4), taken from the remote (keep-remote), or refuses the pull (fail).',
    })(),
    update: Flags.boolean({ description: 'With --mode merge: rows matched by natural key that this file never pushed, and that differ, take the remote\'s values (default: left as they are).' }),
    key: Flags.string({ description: 'With --mode merge: natural key of a table: table=col[,col]. Repeatable.', multiple: true, helpValue: 'table=col' }),
    'source-id': Flags.string({ description: "With --mode merge: this file's name in the remote's identity map, as its pushes give it (default: host name and the local file's path)." }),
    deletes: Flags.boolean({
      description:
        'With --mode merge: delete here the rows the remote deleted since the last push or pull, when unchanged here and no row here points at them (default: they stay, and are counted). A row changed here since is a conflict (--on-conflict); one that rows here point at stays, listed as a conflict (exit 4).',
    }),
  };

  protected async execute(): Promise<PullResult> {
    const { flags } = await this.parseFlags(DbPull);
    const local = locationOf('local', flags);
    const remote = locationOf('remote', flags);
    const merge =
      flags.mode === 'merge'
        ? { mode: 'merge' as const, onConflict: flags['on-conflict'], update: flags.update, keys: naturalKeys(flags.key), sourceId: flags['source-id'], deletes: flags.deletes }
        : flags.deletes
          ? { deletes: true }
          : {};
    const options = { local, remote, ...merge, ...movedTablesFrom(flags), ...epochDatesFrom(flags), ...timeoutsFrom(flags), log: this.logTo };
    // A merge writes over no row of the file unasked: nothing to confirm.
    // (--deletes without --mode merge is refused by the pull itself, before anything is asked.)
    if (fs.existsSync(local) && flags.mode !== 'merge' && !flags.deletes) await this.confirmOverwrite({ operation: 'pull', options }, { remote: 'from', target: targetOf(flags) }, flags.yes);
    return this.transfer((hooks) => pull({ ...options, ...hooks }));
  }

  protected override exitCodeFor(result: PullResult): number {
    if (!result.complete) return EXIT.rowsLeftOut;
    return result.conflicts.some((c) => c.kept === 'local') ? EXIT.conflicts : EXIT.ok;
  }

  protected render(result: PullResult): void {
    renderTransfer(this.out, result, 'Pulled');
    renderPullMerge(this.out, result);
  }
}
