import { Flags } from '@oclif/core';
import { DEFAULT_MODES, grants, type GrantsResult } from '@hesap/api';
import { HesapCommand } from '../../base-command';
import { locationFlags, locationOf } from '../../flags';

export default class DbGrants extends HesapCommand<GrantsResult> {
  static override summary = 'Print the statements an administrator runs so that a role may push.';
  static override description =
    'The least each mode needs: CONNECT and TEMPORARY on the database, USAGE on the schema, the table and sequence privileges of the mode, ' +
    'and the identity map (schema _hesap). Nothing is connected to: the remote URL only names the database and schema.';
  static override examples = ['<%= config.bin %> db grants --role app', '<%= config.bin %> db grants --role app --mode append --target production'];
  static override flags = {
    role: Flags.string({ description: 'The role that will push.', required: true, helpValue: '<role>' }),
    mode: Flags.option({ options: ['merge', 'upsert', 'append', 'replace', 'create'] as const, description: `The mode it will push in (default ${DEFAULT_MODES.push}).` })(),
    remote: locationFlags.remote,
    target: locationFlags.target,
  };

  protected async execute(): Promise<GrantsResult> {
    const { flags } = await this.parseFlags(DbGrants);
    return grants({ remote: locationOf('remote', flags), role: flags.role, mode: flags.mode });
  }

  protected render(result: GrantsResult): void {
    this.out.line(`-- What "${result.role}" needs to push with --mode ${result.mode} into "${result.database}" (schema "${result.schema}"); run as an administrator:`);
    for (const statement of result.statements) this.out.line(statement);
  }
}
