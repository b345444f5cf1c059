import { listAdapters, type AdapterInfo } from '@hesap/api';
import { HesapCommand } from '../../base-command';

export interface AdaptersListResult {
  adapters: AdapterInfo[];
}

export default class AdaptersList extends HesapCommand<AdaptersListResult> {
  static override summary = 'List the adapters hesap can use, with their URL schemes and capabilities.';
  static override description = 'Built-in adapters and those added by packages named in "adapters" of hesap.config.json (or the "hesap" field of package.json).';
  static override examples = ['<%= config.bin %> adapters list', '<%= config.bin %> adapters list --json'];

  protected async execute(): Promise<AdaptersListResult> {
    await this.parseFlags(AdaptersList);
    return { adapters: listAdapters() };
  }

  protected render(result: AdaptersListResult): void {
    const o = this.out;
    const yes = (b: boolean) => (b ? 'yes' : o.dim('no'));
    o.table(
      ['adapter', 'schemes', 'read', 'write', 'one snapshot', 'atomic load', 'merge modes', 'name limit', 'from'],
      result.adapters.map(({ name, schemes, from, capabilities: c }) => [
        name,
        schemes.map((s) => `${s}:`).join(' '),
        yes(c.source),
        yes(c.target),
        yes(c.consistentRead),
        yes(c.atomicLoad),
        c.mergeModes.join(', ') || o.dim('-'),
        c.maxIdentifierBytes === undefined ? o.dim('-') : `${c.maxIdentifierBytes} bytes`,
        from,
      ]),
    );
  }
}
