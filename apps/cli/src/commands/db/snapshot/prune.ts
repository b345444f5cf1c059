import { Flags } from '@oclif/core';
import { snapshot, type SnapshotPruneOptions, type SnapshotPruneResult } from '@hesap/api';
import { HesapCommand } from '../../../base-command';
import { snapshotDirFlag } from '../../../flags';
import { renderSnapshots } from '../../../snapshot-output';

export default class DbSnapshotPrune extends HesapCommand<SnapshotPruneResult> {
  static override summary = 'Remove old snapshots; never the newest one.';
  static override description = 'With --keep N the newest N stay; with --older-than only older snapshots go; with both, a snapshot goes when both say so.';
  static override examples = ['<%= config.bin %> db snapshot prune --keep 5 --yes', '<%= config.bin %> db snapshot prune --older-than 7d --dry-run'];
  static override flags = {
    keep: Flags.integer({ description: 'Keep the newest N snapshots.', min: 1 }),
    'older-than': Flags.string({ description: 'Remove snapshots older than this (30m, 12h, 7d, 2w).', helpValue: '<duration>' }),
    'dry-run': Flags.boolean({ description: 'Show what would be removed; remove nothing.' }),
    ...snapshotDirFlag,
  };

  protected async execute(): Promise<SnapshotPruneResult> {
    const { flags } = await this.parseFlags(DbSnapshotPrune);
    const options: SnapshotPruneOptions = { dir: flags.dir, keep: flags.keep, olderThan: flags['older-than'], dryRun: flags['dry-run'] };
    if (!flags['dry-run']) {
      const plan = await snapshot.prune({ ...options, dryRun: true });
      if (plan.removed.length > 0) await this.confirm(`Remove ${plan.removed.length} snapshot(s): ${plan.removed.map((s) => s.name).join(', ')}?`, flags.yes);
    }
    return snapshot.prune(options);
  }

  protected render(result: SnapshotPruneResult): void {
    const o = this.out;
    if (result.removed.length === 0) {
      o.line(`Nothing to remove; ${result.kept.length} snapshot(s) kept.`);
      return;
    }
    o.line(o.bold(result.dryRun ? 'Would remove' : 'Removed'));
    renderSnapshots(o, result.removed);
    o.line(`${result.kept.length} snapshot(s) kept.`);
  }
}
