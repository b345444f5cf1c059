import * as fs from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { DEFAULT_MODES, snapshot, type SnapshotRestoreResult } from '@hesap/api';
import { EXIT, HesapCommand } from '../../../base-command';
import { connectTimeoutFlag, lockTimeoutFlag, locationFlags, locationOf, policiesFrom, policyFlags, snapshotDirFlag, tableFlags, tablesFrom, targetOf, timeoutsFrom } from '../../../flags';
import { renderTransfer } from '../../../transfer-output';

export default class DbSnapshotRestore extends HesapCommand<SnapshotRestoreResult> {
  static override summary = 'Restore a snapshot into the local or remote database.';
  static override description =
    'Verifies every file of the snapshot first and refuses a damaged one before touching anything; then loads it like a push or pull ' +
    '(one transaction on PostgreSQL; on SQLite, installed into the file in one SQLite transaction, as a pull) and reads the restored tables back to compare them with the manifest.';
  static override examples = [
    '<%= config.bin %> db snapshot restore latest --to local --yes',
    '<%= config.bin %> db snapshot restore 20250101-120000-000-remote-ab12 --to remote --yes --json',
  ];
  static override args = {
    snapshot: Args.string({ description: 'The snapshot: its name in the snapshot folder, a path to it, or "latest".', required: true }),
  };
  static override flags = {
    to: Flags.option({ options: ['local', 'remote'] as const, required: true, description: 'Which database to restore into.' })(),
    mode: Flags.option({
      options: ['replace', 'merge'] as const,
      description: `replace: the tables hold exactly the snapshot (a local file is replaced whole). merge: rows meet the rows already there. Default: ${DEFAULT_MODES.restore}.`,
    })(),
    ...locationFlags,
    ...tableFlags,
    ...connectTimeoutFlag,
    ...lockTimeoutFlag,
    ...snapshotDirFlag,
    ...policyFlags,
  };

  protected async execute(): Promise<SnapshotRestoreResult> {
    const { args, flags } = await this.parseFlags(DbSnapshotRestore);
    const to = locationOf(flags.to, flags);
    const options = { snapshot: args.snapshot, dir: flags.dir, to, mode: flags.mode, ...tablesFrom(flags), ...timeoutsFrom(flags), policies: policiesFrom(flags), log: this.logTo };
    if (flags.to === 'remote' || fs.existsSync(to)) {
      const remote = flags.to === 'remote' ? ({ remote: 'to', target: targetOf(flags) } as const) : {};
      await this.confirmOverwrite({ operation: 'restore', options }, { merge: flags.mode === 'merge', ...remote }, flags.yes);
    }
    return this.transfer((hooks) => snapshot.restore({ ...options, ...hooks }));
  }

  protected override exitCodeFor(result: SnapshotRestoreResult): number {
    return result.check.ok ? EXIT.ok : EXIT.failed;
  }

  protected render(result: SnapshotRestoreResult): void {
    const o = this.out;
    renderTransfer(o, result, `Restored ${result.snapshot}:`);
    const bad = result.check.tables.filter((t) => t.status === 'different' || t.status === 'missing');
    for (const t of bad) o.line(o.red(`${t.table}: ${t.status === 'missing' ? 'not found after the restore' : `read back ${t.rows} rows whose checksum differs from the snapshot's (${t.expectedRows} rows)`}.`));
    o.line(result.check.ok ? o.green('The restored tables hold exactly the snapshot content.') : o.red('The restored content differs from the snapshot.'));
  }
}
