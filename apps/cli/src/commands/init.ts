import { Flags } from '@oclif/core';
import { init, resolveLocations, type InitResult } from '@hesap/api';
import { HesapCommand } from '../base-command';
import { ask } from '../prompt';
import { renderStatus } from '../status-output';

export default class Init extends HesapCommand<InitResult> {
  static override summary = 'Set up a project: the local file, the remote URL, named targets; then show the status.';
  static override description =
    'Asks for what the flags do not give (on a terminal), then writes the remote URL to .env (never replacing an entry without asking), ' +
    'the local file and the target to hesap.config.json, adds .hesap/ and .env to .gitignore, and runs `hesap db status`.';
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --local ./app.db --target production --variable RENDER_DATABASE_URL',
    '<%= config.bin %> init --local ./app.db --remote-from-stdin --yes < url.txt',
  ];
  static override flags = {
    local: Flags.string({ description: 'The local SQLite file.', helpValue: '<file>' }),
    remote: Flags.string({ description: 'The remote PostgreSQL URL (better typed at the prompt: other users see command lines in `ps`).', helpValue: '<url>' }),
    'remote-from-stdin': Flags.boolean({ description: 'Read the remote URL from the first line of stdin (for scripts, without putting it on the command line).' }),
    target: Flags.string({ description: 'Name the remote as a target in hesap.config.json (staging, production, ...).', helpValue: '<name>' }),
    variable: Flags.string({ description: 'The .env variable that holds the URL (default HESAP_REMOTE_URL, or HESAP_<TARGET>_URL).', helpValue: '<name>' }),
    'connect-timeout': Flags.integer({ description: 'Seconds to wait for the connection of the final status.', min: 1 }),
  };

  protected async execute(): Promise<InitResult> {
    const { flags } = await this.parseFlags(Init);
    const terminal = Boolean(process.stdin.isTTY) && !this.out.json;
    const known = safely(() => resolveLocations({ target: flags.target }));
    let remote = flags.remote ?? (flags['remote-from-stdin'] ? await ask('') : undefined);
    let local = flags.local;
    if (terminal && local === undefined) local = await ask('Local SQLite file:', { default: known?.local.value ?? './app.db' });
    if (terminal && remote === undefined) remote = (await ask('Remote PostgreSQL URL (kept in .env; not shown as you type; empty to skip):', { secret: true })) || undefined;
    // An entry holding another value is replaced only when the user says so (or --yes).
    const confirm = async (conflicts: string[]) =>
      flags.yes || (terminal && /^y(es)?$/i.test(await ask(`Already set to another value: ${conflicts.join(', ')}. Replace? [y/N]`)));
    return init({ local, remote, target: flags.target, variable: flags.variable, connectTimeoutSeconds: flags['connect-timeout'], confirm });
  }

  protected render(result: InitResult): void {
    const o = this.out;
    for (const what of result.written) o.line(`${o.green('wrote')}  ${what}`);
    for (const what of result.unchanged) o.line(`${o.dim('kept ')}  ${what} (already so)`);
    for (const what of result.conflicts) o.line(`${o.yellow('left ')}  ${what}: it holds another value (run again and answer yes, or pass --yes, to replace it)`);
    o.line(o.dim(`in ${result.dir}`));
    if (result.status) {
      o.line();
      renderStatus(o, result.status);
    }
  }
}

function safely<T>(work: () => T): T | undefined {
  try {
    return work();
  } catch {
    return undefined;
  }
}
