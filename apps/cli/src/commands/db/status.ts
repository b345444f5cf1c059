import { LOCAL_VARIABLES, REMOTE_VARIABLES, resolveLocal, resolveRemote, status, type SideStatus, type StatusResult } from '@hesap/api';
import { EXIT, HesapCommand } from '../../base-command';
import { connectTimeoutFlag, locationFlags, tableFlags, tablesFrom } from '../../flags';
import { formatCount } from '../../output';

export default class DbStatus extends HesapCommand<StatusResult> {
  static override summary = 'Show both sides: configured, reachable, and row counts side by side.';
  static override examples = ['<%= config.bin %> db status', '<%= config.bin %> db status --local app.db --remote postgresql://localhost/app --json'];
  static override flags = { ...locationFlags, ...tableFlags, ...connectTimeoutFlag };

  protected async execute(): Promise<StatusResult> {
    const { flags } = await this.parseFlags(DbStatus);
    const [local, remote] = [resolveLocal(flags.local).value, resolveRemote(flags.remote).value];
    return status({ local, remote, ...tablesFrom(flags), connectTimeoutSeconds: flags['connect-timeout'], log: this.logTo });
  }

  protected override exitCodeFor(result: StatusResult): number {
    const broken = (s: SideStatus) => s.configured && !s.reachable;
    return broken(result.local) || broken(result.remote) ? EXIT.failed : EXIT.ok;
  }

  protected render(result: StatusResult): void {
    const o = this.out;
    const side = (label: string, s: SideStatus) => {
      if (!s.configured) {
        const how = label.trim() === 'local' ? `--local <file>, or set ${LOCAL_VARIABLES.join(' or ')}` : `--remote <url>, or set ${REMOTE_VARIABLES.join(' or ')}`;
        o.line(`${o.bold(label)}  ${o.yellow('not configured')}: pass ${how} (in the environment or in .env)`);
        return;
      }
      if (!s.reachable) {
        o.line(`${o.bold(label)}  ${s.location}  ${o.red('unreachable')}: ${s.error?.message ?? ''}`);
        for (const hint of s.error?.hints ?? []) o.line(`        ${o.cyan('→')} ${hint}`);
        return;
      }
      const details = [s.serverVersion, s.latencyMs !== undefined ? `${s.latencyMs} ms` : undefined, s.tls].filter(Boolean).join(', ');
      o.line(`${o.bold(label)}  ${s.location}  ${o.green('reachable')} (${details})`);
    };
    side('local ', result.local);
    side('remote', result.remote);
    if (result.tables.length > 0) {
      o.line();
      o.table(
        ['table', 'local', 'remote', ''],
        result.tables.map((t) => [
          t.table,
          t.local,
          t.remote,
          t.differs ? o.yellow(t.local === undefined ? 'only remote' : t.remote === undefined ? 'only local' : 'differs') : '',
        ]),
      );
    }
    o.line();
    if (result.lastPush) o.line(`last push  ${result.lastPush.at}  ${formatCount(result.lastPush.rows)} rows to ${result.lastPush.remote}`);
    if (result.lastPull) o.line(`last pull  ${result.lastPull.at}  ${formatCount(result.lastPull.rows)} rows from ${result.lastPull.remote}`);
    if (!result.lastPush && !result.lastPull) o.line(o.dim('no sync recorded yet'));
    if (result.local.reachable && result.remote.reachable) {
      o.line(result.inSync ? o.green('Row counts match on both sides.') : o.yellow(`${result.tables.filter((t) => t.differs).length} table(s) differ.`));
    }
  }
}
