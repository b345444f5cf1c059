import type { Hook } from '@oclif/core';
import { HesapError } from '@hesap/core';
import { EXIT, renderError } from '../error-output';
import { Output } from '../output';
import { spoken } from '../usage';
import { suggestCommands } from '../suggest';

/**
 * An unknown command: say which command was probably meant and stop with exit 2. Nothing
 * is run: `hesap db pussh --yes` must not become a push (oclif's plugin-not-found asks, and
 * runs its guess on the default answer).
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const out = new Output(options.argv?.includes('--json') ?? false);
  const typed = [...options.id.split(':'), ...(options.argv ?? [])];
  const firstFlag = typed.findIndex((w) => w.startsWith('-'));
  const words = firstFlag === -1 ? typed : typed.slice(0, firstFlag);
  const ids = this.config.commandIDs.filter((id) => !this.config.findCommand(id)?.hidden);
  const meant = suggestCommands(words, ids);
  const bin = this.config.bin;
  const hints =
    meant.length > 0
      ? [`Did you mean ${meant.map((m) => `\`${bin} ${m}\``).join(' or ')}?`, `Run \`${bin} help\` to see every command.`]
      : [`Run \`${bin} help\` to see every command.`];
  renderError(out, new HesapError('USAGE', `\`${bin} ${spoken(options.id)}\` is not a ${bin} command.`, { hints }));
  process.exitCode = EXIT.usage;
};

export default hook;
