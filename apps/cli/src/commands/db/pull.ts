import * as fs from 'node:fs';
import { pull, type PullResult } from '@hesap/api';
import { HesapCommand } from '../../base-command';
import { epochDatesFlag, epochDatesFrom, locationFlags, locationOf, movedTablesFrom, tableFlags, targetOf, timeoutFlags, timeoutsFrom } from '../../flags';
import { renderTransfer } from '../../transfer-output';

export default class DbPull extends HesapCommand<PullResult> {
  static override summary = 'Pull PostgreSQL into the local SQLite file, as a backup.';
  static override description =
    'Reads every table from one consistent snapshot into a temporary database, then installs it into the local file in one SQLite transaction ' +
    '(waiting up to --lock-timeout for your app\'s write), so an app that has the file open keeps working. Tables not pulled, views, triggers and user_version stay.';
  static override examples = ['<%= config.bin %> db pull', '<%= config.bin %> db pull --local backup.db --yes'];
  static override flags = { ...locationFlags, ...tableFlags, ...timeoutFlags, ...epochDatesFlag };

  protected async execute(): Promise<PullResult> {
    const { flags } = await this.parseFlags(DbPull);
    const local = locationOf('local', flags);
    const remote = locationOf('remote', flags);
    const options = { local, remote, ...movedTablesFrom(flags), ...epochDatesFrom(flags), ...timeoutsFrom(flags), log: this.logTo };
    if (fs.existsSync(local)) await this.confirmOverwrite({ operation: 'pull', options }, { remote: 'from', target: targetOf(flags) }, flags.yes);
    return this.transfer((hooks) => pull({ ...options, ...hooks }));
  }

  protected render(result: PullResult): void {
    renderTransfer(this.out, result, 'Pulled');
  }
}
