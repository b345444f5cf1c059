import { resolveLocations, status, type SideStatus, type StatusResult } from '@hesap/api';
import { EXIT, HesapCommand } from '../../base-command';
import { connectTimeoutFlag, locationFlags, tableFlags, tablesFrom } from '../../flags';
import { renderStatus } from '../../status-output';

export default class DbStatus extends HesapCommand<StatusResult> {
  static override summary = 'Show both sides: configured, reachable, and row counts side by side.';
  static override examples = ['<%= config.bin %> db status', '<%= config.bin %> db status --local app.db --remote postgresql://localhost/app --json'];
  static override flags = { ...locationFlags, ...tableFlags, ...connectTimeoutFlag };

  protected async execute(): Promise<StatusResult> {
    const { flags } = await this.parseFlags(DbStatus);
    const where = resolveLocations(flags);
    return status({ local: where.local.value, remote: where.remote.value, configuration: where, ...tablesFrom(flags), connectTimeoutSeconds: flags['connect-timeout'], log: this.logTo });
  }

  protected override exitCodeFor(result: StatusResult): number {
    const broken = (s: SideStatus) => s.configured && !s.reachable;
    return broken(result.local) || broken(result.remote) ? EXIT.failed : EXIT.ok;
  }

  protected render(result: StatusResult): void {
    renderStatus(this.out, result);
  }
}
