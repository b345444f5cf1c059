import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HesapError, type Adapter, type AdapterRegistry } from '@hesap/core';
import { readProjectConfig } from './project-config';
import { defaultRegistry, pluginSources } from './registry';

/**
 * Adapter plugins: packages named in `"adapters"` of hesap.config.json (or the `"hesap"`
 * field of package.json) whose default export, or `adapter` export, is an Adapter
 * instance or class. They are registered after the built-in adapters, so a plugin can
 * also take over a scheme.
 *
 * @example
 * // hesap.config.json
 * { "adapters": ["hesap-adapter-oracle"] }
 */

const loaded = new Set<string>();

function isAdapter(value: unknown): value is Adapter {
  const a = value as Partial<Adapter> | undefined;
  return (
    typeof a === 'object' &&
    a !== null &&
    typeof a.name === 'string' &&
    Array.isArray(a.schemes) &&
    typeof a.accepts === 'function' &&
    typeof a.openSource === 'function' &&
    typeof a.openTarget === 'function'
  );
}

/** The adapter a module exports: `default` or `adapter`, an instance or a class to instantiate. */
export function adapterFromModule(module: Record<string, unknown>, name: string): Adapter {
  // A CommonJS module imported as ESM arrives wrapped once more in `default`.
  const inner = module.default as Record<string, unknown> | undefined;
  const exports = inner && typeof inner === 'object' && ('default' in inner || 'adapter' in inner) ? inner : module;
  const candidate = exports.default ?? exports.adapter;
  const adapter = typeof candidate === 'function' ? new (candidate as new () => unknown)() : candidate;
  if (!isAdapter(adapter)) {
    throw new HesapError('CONFIG_INVALID', `The adapter package "${name}" exports no adapter.`, {
      hints: ['Its default export, or an export named `adapter`, must be an Adapter instance or class (see docs/writing-an-adapter.md).'],
    });
  }
  return adapter;
}

async function importPackage(name: string, dir: string): Promise<Record<string, unknown>> {
  let resolved: string;
  try {
    // The project's own node_modules first, then hesap's (plugins installed next to a global hesap).
    resolved = require.resolve(name, { paths: [dir, __dirname] });
  } catch (error) {
    throw new HesapError('CONFIG_INVALID', `The adapter package "${name}" named in the configuration cannot be found.`, {
      cause: error,
      hints: [`Install it in ${dir} (npm install ${name}), or remove it from "adapters" in hesap.config.json.`],
    });
  }
  try {
    try {
      return require(resolved) as Record<string, unknown>;
    } catch (error) {
      // An ES module package: import() takes it (Node 20 cannot require one).
      if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
      return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    }
  } catch (error) {
    throw new HesapError('CONFIG_INVALID', `The adapter package "${name}" failed to load: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Registers the adapter packages the configuration in `dir` names. Each package is
 * loaded once per process. Returns the adapters registered by this call.
 *
 * @example
 * await loadAdapterPlugins(); // hesap.config.json of the current directory, into defaultRegistry
 */
export async function loadAdapterPlugins(registry: AdapterRegistry = defaultRegistry, dir = process.cwd()): Promise<Adapter[]> {
  const names = readProjectConfig(dir).adapters ?? [];
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new HesapError('CONFIG_INVALID', '"adapters" in the hesap configuration must be a list of package names.');
  }
  const added: Adapter[] = [];
  for (const name of names) {
    const key = `${path.resolve(dir)}\u0000${name}`;
    if (loaded.has(key)) continue;
    const adapter = adapterFromModule(await importPackage(name, dir), name);
    registry.register(adapter);
    pluginSources.set(adapter.name, name);
    loaded.add(key);
    added.push(adapter);
  }
  return added;
}
