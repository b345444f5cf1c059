/**
 * `require('hesap')`: the Node API, the same functions the CLI calls (see @hesap/api's
 * README). The CLI's commands are loaded by oclif from ./commands, not from here.
 */
export * from '@hesap/api';
