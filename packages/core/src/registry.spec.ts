import { AdapterBase } from './contract';
import { HesapError } from './errors';
import { AdapterRegistry } from './registry';

class Named extends AdapterBase {
  constructor(
    readonly name: string,
    readonly schemes: readonly string[],
    private readonly paths = false,
  ) {
    super();
  }

  override accepts(location: string): boolean {
    return super.accepts(location) || (this.paths && !/^[a-z][a-z0-9+.-]+:\/\//i.test(location));
  }
}

describe('AdapterRegistry', () => {
  const files = new Named('sqlite', ['sqlite', 'file'], true);
  const postgres = new Named('postgres', ['postgres', 'postgresql']);
  const registry = () => new AdapterRegistry().register(files).register(postgres);

  it('finds adapters by URL scheme, case-insensitively, and plain paths by the adapter that takes them', () => {
    const r = registry();
    expect(r.forLocation('postgres://localhost/app').name).toBe('postgres');
    expect(r.forLocation('POSTGRESQL://localhost/app').name).toBe('postgres');
    expect(r.forLocation('sqlite:app.db').name).toBe('sqlite');
    expect(r.forLocation('./data/app.db').name).toBe('sqlite');
  });

  it('lets the adapter registered last take over a scheme, and replaces one of the same name', () => {
    const r = registry();
    const plugin = new Named('my-postgres', ['postgres']);
    r.register(plugin);
    expect(r.forLocation('postgres://x/y')).toBe(plugin);
    expect(r.forLocation('postgresql://x/y').name).toBe('postgres');
    const again = new Named('postgres', ['postgres', 'postgresql', 'pg']);
    r.register(again);
    expect(r.list().map((a) => a.name)).toEqual(['sqlite', 'my-postgres', 'postgres']);
    expect(r.get('postgres')).toBe(again);
  });

  it('names the known schemes when none fits', () => {
    let error: unknown;
    try {
      registry().forLocation('mysql://root@localhost/shop');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HesapError);
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'No adapter handles "mysql:" locations.',
      hints: ['Known schemes: sqlite:, file:, postgres:, postgresql:. Add an adapter package to hesap.config.json for others.'],
    });
  });
});
