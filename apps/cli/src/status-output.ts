import { LOCAL_VARIABLES, REMOTE_VARIABLES, type SideStatus, type StatusResult } from '@hesap/api';
import { formatCount, type Output } from './output';

/** Both sides of a status, where they came from, the tables side by side, the last syncs (`db status`, `init`). */
export function renderStatus(o: Output, result: StatusResult): void {
  const side = (label: string, s: SideStatus) => {
    if (!s.configured) {
      const how = label.trim() === 'local' ? `--local <file>, or set ${LOCAL_VARIABLES.join(' or ')}` : `--remote <url> or --target <name>, or set ${REMOTE_VARIABLES.join(' or ')}`;
      o.line(`${o.bold(label)}  ${o.yellow('not configured')}: pass ${how} (in the environment or in .env), or run hesap init`);
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
  const from = (where: { source?: string; notes: string[] } | undefined) => {
    if (where?.source) o.line(o.dim(`        from ${where.source}`));
    for (const note of where?.notes ?? []) o.line(`        ${o.yellow('note')} ${note}`);
  };
  side('local ', result.local);
  from(result.configuration?.local);
  side('remote', result.remote);
  from(result.configuration?.remote);
  if (result.configuration) o.line(o.dim(result.configuration.envFile ? `.env read: ${result.configuration.envFile}` : 'no .env found (looked from here up to the project root)'));
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
