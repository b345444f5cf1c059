import type { Adapter } from './contract';
import { HesapError } from './errors';

/**
 * Adapters by URL scheme. The CLI and API look adapters up here; plugins register
 * theirs. When several accept a location, the one registered last wins, so a plugin
 * can take over a scheme.
 *
 * @example
 * const registry = new AdapterRegistry().register(sqliteAdapter).register(postgresAdapter);
 * registry.forLocation('postgresql://localhost/app').name; // 'postgres'
 */
export class AdapterRegistry {
  private readonly adapters: Adapter[] = [];

  register(adapter: Adapter): this {
    const existing = this.adapters.findIndex((a) => a.name === adapter.name);
    if (existing >= 0) this.adapters.splice(existing, 1);
    this.adapters.push(adapter);
    return this;
  }

  list(): readonly Adapter[] {
    return [...this.adapters];
  }

  get(name: string): Adapter | undefined {
    return this.adapters.find((a) => a.name === name);
  }

  /** The adapter for a URL or path, or an error naming the schemes that are known. */
  forLocation(location: string): Adapter {
    for (let i = this.adapters.length - 1; i >= 0; i--) {
      const adapter = this.adapters[i]!;
      if (adapter.accepts(location)) return adapter;
    }
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(location)?.[1] ?? location;
    throw new HesapError('CONFIG_INVALID', `No adapter handles "${scheme}:" locations.`, {
      hints: [`Known schemes: ${this.adapters.flatMap((a) => a.schemes.map((s) => `${s}:`)).join(', ')}. Add an adapter package to hesap.config.json for others.`],
    });
  }
}
