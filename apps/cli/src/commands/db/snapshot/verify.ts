import { Args } from '@oclif/core';
import { snapshot, type SnapshotVerifyResult } from '@hesap/api';
import { EXIT, HesapCommand } from '../../../base-command';
import { snapshotDirFlag } from '../../../flags';

export default class DbSnapshotVerify extends HesapCommand<SnapshotVerifyResult> {
  static override summary = 'Check every file of a snapshot against its manifest.';
  static override description =
    'Recomputes the SHA-256 of each data file, and its row count and content checksum by parsing the CSV. Exits with 1, naming each damaged file, on any mismatch.';
  static override examples = ['<%= config.bin %> db snapshot verify latest', '<%= config.bin %> db snapshot verify 20250101-120000-000-remote-ab12 --json'];
  static override args = {
    snapshot: Args.string({ description: 'The snapshot: its name in the snapshot folder, a path to it, or "latest".', required: true }),
  };
  static override flags = { ...snapshotDirFlag };

  protected async execute(): Promise<SnapshotVerifyResult> {
    const { args, flags } = await this.parseFlags(DbSnapshotVerify);
    return snapshot.verify({ snapshot: args.snapshot, dir: flags.dir, log: this.logTo });
  }

  protected override exitCodeFor(result: SnapshotVerifyResult): number {
    return result.ok ? EXIT.ok : EXIT.failed;
  }

  protected render(result: SnapshotVerifyResult): void {
    const o = this.out;
    if (result.tables.length > 0) {
      o.table(
        ['table', 'file', 'rows', 'check'],
        result.tables.map((t) => [t.table, t.file, t.rows, t.status === 'ok' ? o.green('ok') : o.red('damaged')]),
      );
      o.line();
    }
    for (const p of result.problems) o.line(`${o.red('damaged')}  ${p.file}: ${p.message}`);
    if (result.problems.length > 0) o.line();
    o.line(result.ok ? o.green(`Snapshot ${result.snapshot} is intact.`) : o.red(`Snapshot ${result.snapshot} is damaged.`));
  }
}
