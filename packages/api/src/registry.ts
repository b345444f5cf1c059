import { AdapterRegistry } from '@hesap/core';
import { postgresAdapter } from '@hesap/adapter-postgres';
import { sqliteAdapter } from '@hesap/adapter-sqlite';

/** The adapters hesap ships with. Plugins add theirs with `defaultRegistry.register(...)`. */
export const defaultRegistry = new AdapterRegistry().register(sqliteAdapter).register(postgresAdapter);
