import { snapshot, type SnapshotListResult } from '@hesap/api';
import { HesapCommand } from '../../../base-command';
import { snapshotDirFlag } from '../../../flags';
import { renderSnapshots } from '../../../snapshot-output';

export default class DbSnapshotList extends HesapCommand<SnapshotListResult> {
  static override summary = 'List the snapshots, newest first.';
  static override examples = ['<%= config.bin %> db snapshot list', '<%= config.bin %> db snapshot list --dir backups --json'];
  static override flags = { ...snapshotDirFlag };

  protected async execute(): Promise<SnapshotListResult> {
    const { flags } = await this.parseFlags(DbSnapshotList);
    return snapshot.list({ dir: flags.dir });
  }

  protected render(result: SnapshotListResult): void {
    const o = this.out;
    if (result.snapshots.length === 0) o.line(`No snapshots in ${result.dir}.`);
    else renderSnapshots(o, result.snapshots);
    for (const bad of result.invalid) o.note(`${o.yellow('warning')}  ${bad.name} is not a readable snapshot: ${bad.problem}`);
  }
}
