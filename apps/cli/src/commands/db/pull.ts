import * as fs from 'node:fs';
import { pull, type PullResult } from '@hesap/api';
import { connectionFlags, HesapCommand, list } from '../../base-command';
import { migrationTablesSetting, requireLocal, requireRemote } from '../../config';
import { ProgressDisplay } from '../../progress';
import { renderTransfer } from '../../transfer-output';

export default class DbPull extends HesapCommand<PullResult> {
  static override summary = 'Pull PostgreSQL into the local SQLite file, as a backup.';
  static override description =
    'Reads every table from one consistent snapshot and writes a new SQLite file next to the old one; the old file is replaced only when the new one is complete.';
  static override examples = ['<%= config.bin %> db pull', '<%= config.bin %> db pull --local backup.db --yes'];
  static override flags = { ...connectionFlags };

  protected async execute(): Promise<PullResult> {
    const { flags } = await this.parse(DbPull);
    this.setupLogging(flags);
    const local = requireLocal(flags.local);
    const remote = requireRemote(flags.remote);
    this.out.protect(remote);
    if (fs.existsSync(local)) await this.confirm(`Overwrite ${local} with the remote database?`, flags.yes);
    const progress = new ProgressDisplay();
    const abort = new AbortController();
    const stop = (signal: string) => abort.abort(new Error(`${signal} received`));
    process.once('SIGINT', stop).once('SIGTERM', stop);
    try {
      return await pull({
        local,
        remote,
        tables: list(flags.tables),
        exclude: list(flags.exclude),
        migrationTables: migrationTablesSetting(),
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

  protected render(result: PullResult): void {
    renderTransfer(this.out, result, 'Pulled');
  }
}
