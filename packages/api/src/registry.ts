import { AdapterRegistry } from '@hesap/core';
import { postgresAdapter } from '@hesap/adapter-postgres';
import { snapshotAdapter } from '@hesap/adapter-snapshot';
import { sqliteAdapter } from '@hesap/adapter-sqlite';

/**
 * The adapters hesap ships with. Plugins add theirs with `defaultRegistry.register(...)`.
 * The last registered is asked first: `snapshot:` comes after SQLite, which takes any
 * location without `scheme://` as a path.
 */
export const defaultRegistry = new AdapterRegistry().register(sqliteAdapter).register(postgresAdapter).register(snapshotAdapter);
