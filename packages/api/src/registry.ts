import { AdapterRegistry, type AdapterCapabilities } from '@hesap/core';
import { postgresAdapter } from '@hesap/adapter-postgres';
import { snapshotAdapter } from '@hesap/adapter-snapshot';
import { sqliteAdapter } from '@hesap/adapter-sqlite';
import { LazyAdapter } from './lazy-adapter';

/**
 * The adapters hesap ships with, in the one registry the CLI and Node programs share.
 * Plugins named in hesap.config.json are added by `loadAdapterPlugins`; a program may
 * also call `defaultRegistry.register(...)`. The last registered is asked first:
 * `snapshot:` comes after SQLite, which takes any location without `scheme://` as a path.
 * MySQL is registered by name and scheme, its package loaded on first use.
 */
export const defaultRegistry = new AdapterRegistry()
  .register(sqliteAdapter)
  .register(postgresAdapter)
  .register(snapshotAdapter)
  // A type-only import is erased: the package is required only inside the loader.
  .register(new LazyAdapter('mysql', ['mysql', 'mariadb'], () => (require('@hesap/adapter-mysql') as typeof import('@hesap/adapter-mysql')).mysqlAdapter));

/** Which package each plugin adapter came from, by adapter name (filled by `loadAdapterPlugins`). */
export const pluginSources = new Map<string, string>();

export interface AdapterInfo {
  name: string;
  schemes: string[];
  /** `built-in`, or the package named in the configuration. */
  from: string;
  capabilities: AdapterCapabilities;
}

/**
 * The adapters a registry holds, with where each came from and what it can do.
 *
 * @example
 * for (const a of listAdapters()) console.log(a.name, a.schemes.join(' '), a.from);
 */
export function listAdapters(registry: AdapterRegistry = defaultRegistry): AdapterInfo[] {
  return registry.list().map((a) => ({
    name: a.name,
    schemes: [...a.schemes],
    from: pluginSources.get(a.name) ?? 'built-in',
    // A bundled adapter loaded on demand tells its capabilities once loaded.
    capabilities: (a instanceof LazyAdapter ? a.resolve() : a).capabilities,
  }));
}
