import { Flags } from '@oclif/core';
import { DEFAULTS, verify, type VerifyResult } from '@hesap/api';
import { EXIT, HesapCommand } from '../../base-command';
import { connectTimeoutFlag, epochDatesFlag, epochDatesFrom, locationFlags, locationOf, tableFlags, tablesFrom } from '../../flags';

export default class DbVerify extends HesapCommand<VerifyResult> {
  static override summary = 'Compare the content of every table on both sides.';
  static override description =
    'Order-independent checksums over canonical values; for tables that differ, the first differing keys. Exits with 1 when anything differs.';
  static override examples = ['<%= config.bin %> db verify', '<%= config.bin %> db verify --tables users,orders --json'];
  static override flags = {
    ...locationFlags,
    ...tableFlags,
    ...connectTimeoutFlag,
    ...epochDatesFlag,
    'max-differences': Flags.integer({ description: `How many differing keys to list per table (default ${DEFAULTS.maxDifferences}).`, min: 0 }),
  };

  protected async execute(): Promise<VerifyResult> {
    const { flags } = await this.parseFlags(DbVerify);
    const remote = locationOf('remote', flags);
    const local = locationOf('local', flags);
    return verify({ local, remote, ...tablesFrom(flags), ...epochDatesFrom(flags), connectTimeoutSeconds: flags['connect-timeout'], maxDifferences: flags['max-differences'], log: this.logTo });
  }

  protected override exitCodeFor(result: VerifyResult): number {
    return result.same ? EXIT.ok : EXIT.failed;
  }

  protected render(result: VerifyResult): void {
    const o = this.out;
    o.table(
      ['table', 'local rows', 'remote rows', 'content'],
      result.tables.map((t) => [
        t.table,
        t.localRows,
        t.remoteRows,
        t.status === 'same' ? o.green('same') : o.red(t.status === 'different' ? 'different' : t.status === 'only-local' ? 'only local' : 'only remote'),
      ]),
    );
    for (const t of result.tables) {
      if (t.differences.length === 0) continue;
      o.line();
      o.line(o.bold(`${t.table}: first differing rows`));
      for (const d of t.differences) o.line(`  ${d.kind === 'changed' ? 'changed    ' : d.kind === 'only-local' ? 'only local ' : 'only remote'}  ${d.key}`);
    }
    o.line();
    o.line(result.same ? o.green('Both sides hold the same content.') : o.red('The two sides differ.'));
  }
}
