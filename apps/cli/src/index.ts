/** The hesap CLI. Its commands are thin shells over @hesap/api. */
export { commands } from './commands';
