import { Flags } from '@oclif/core';
import { snapshot, type SnapshotCreateResult } from '@hesap/api';
import { HesapCommand } from '../../../base-command';
import { connectTimeoutFlag, locationFlags, locationOf, policiesFrom, policyFlags, snapshotDirFlag, tableFlags, tablesFrom } from '../../../flags';
import { formatCount, formatDuration } from '../../../output';
import { describeSource, formatBytes } from '../../../snapshot-output';

export default class DbSnapshotCreate extends HesapCommand<SnapshotCreateResult> {
  static override summary = 'Take a snapshot of the local or remote database.';
  static override description =
    'Reads every table from one consistent snapshot of the database and writes a folder with one gzip-compressed CSV file per table and a manifest of checksums. ' +
    'The folder appears complete or not at all.';
  static override examples = [
    '<%= config.bin %> db snapshot create --from remote',
    '<%= config.bin %> db snapshot create --from local --out backups/before-migration --json',
  ];
  static override flags = {
    from: Flags.option({ options: ['local', 'remote'] as const, required: true, description: 'Which database to snapshot.' })(),
    ...locationFlags,
    ...tableFlags,
    ...connectTimeoutFlag,
    ...snapshotDirFlag,
    out: Flags.string({ description: "The new snapshot's own folder (must not exist); default: a new name in the snapshot folder.", helpValue: '<dir>' }),
    ...policyFlags,
  };

  protected async execute(): Promise<SnapshotCreateResult> {
    const { flags } = await this.parseFlags(DbSnapshotCreate);
    const from = locationOf(flags.from, flags);
    return this.transfer((hooks) =>
      snapshot.create({
        from,
        kind: flags.from,
        dir: flags.dir,
        out: flags.out,
        ...tablesFrom(flags),
        connectTimeoutSeconds: flags['connect-timeout'],
        policies: policiesFrom(flags),
        log: this.logTo,
        ...hooks,
      }),
    );
  }

  protected render(result: SnapshotCreateResult): void {
    const o = this.out;
    o.table(
      ['table', 'rows', 'csv', 'file', 'file size'],
      result.tables.map((t) => [t.table, t.rows, formatBytes(t.bytes), t.file, formatBytes(t.compressedBytes)]),
    );
    if (result.views.length > 0) {
      o.line();
      o.line(o.dim(`Views listed, not copied: ${result.views.join(', ')}`));
    }
    const s = result.snapshot;
    o.line();
    o.line(`${o.green('Snapshot')} ${o.bold(s.name)}: ${formatCount(s.rows)} rows in ${s.tables} tables from ${describeSource(s)}, ${formatBytes(s.size)}, in ${formatDuration(result.durationMs)}.`);
    o.line(o.dim(s.path));
  }
}
