import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';

/**
 * A project's own settings, read the same way for the CLI and for a Node program: the
 * local file and the remote URL (a flag first, then the environment, then `.env` in the
 * current directory, read and never written), and hesap.config.json (natural keys,
 * adapter plugins).
 */

/** Reads `.env` (KEY=VALUE lines, `export` prefix, quotes and comments). Missing file: empty. */
export function readDotEnv(file = path.join(process.cwd(), '.env')): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if ((value.startsWith('"') && value.endsWith('"') && value.length >= 2) || (value.startsWith("'") && value.endsWith("'") && value.length >= 2)) {
      const quote = value[0];
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    out[m[1]!] = value;
  }
  return out;
}

export const LOCAL_VARIABLES = ['HESAP_LOCAL_DB'] as const;
export const REMOTE_VARIABLES = ['RENDER_DATABASE_URL', 'DATABASE_URL'] as const;

export interface ResolvedSetting {
  value?: string;
  /** Where it came from: `--remote`, `DATABASE_URL (environment)`, `DATABASE_URL (.env)`. */
  source?: string;
}

function lookup(flag: string | undefined, flagName: string, variables: readonly string[]): ResolvedSetting {
  if (flag) return { value: flag, source: flagName };
  const dotenv = readDotEnv();
  for (const name of variables) {
    if (process.env[name]) return { value: process.env[name], source: `${name} (environment)` };
    if (dotenv[name]) return { value: dotenv[name], source: `${name} (.env)` };
  }
  return {};
}

export function resolveLocal(flag?: string): ResolvedSetting {
  return lookup(flag, '--local', LOCAL_VARIABLES);
}

export function resolveRemote(flag?: string): ResolvedSetting {
  return lookup(flag, '--remote', REMOTE_VARIABLES);
}

/** The setting's value, or CONFIG_MISSING saying where hesap looked and how to set it. */
function required(setting: ResolvedSetting, missing: string, flagName: string, variables: readonly string[], remedy: string): string {
  if (setting.value) return setting.value;
  throw new HesapError('CONFIG_MISSING', missing, {
    hints: [`Looked at ${flagName}, then ${variables.join(', ')} in the environment and in ${path.join(process.cwd(), '.env')}.`, remedy],
  });
}

/** The local SQLite file: `flag`, else HESAP_LOCAL_DB from the environment or `.env`; CONFIG_MISSING without one. */
export function requireLocal(flag?: string): string {
  return required(resolveLocal(flag), 'No local database is configured.', '`local`', LOCAL_VARIABLES, "Give `local: './app.db'`, or add HESAP_LOCAL_DB=./app.db to .env.");
}

/** The remote URL: `flag`, else RENDER_DATABASE_URL, then DATABASE_URL, from the environment or `.env`; CONFIG_MISSING without one. */
export function requireRemote(flag?: string): string {
  return required(
    resolveRemote(flag),
    'No remote database URL is configured.',
    '`remote`',
    REMOTE_VARIABLES,
    "Give `remote: 'postgresql://user:password@host:5432/db'`, or add DATABASE_URL=... to .env.",
  );
}

/** What hesap.config.json (or the `"hesap"` field of package.json) may hold. */
export interface ProjectConfig {
  /** Natural keys for merge, by table: `{ "users": ["email"] }`. */
  keys?: Record<string, string[]>;
  /** Adapter packages to load (see `loadAdapterPlugins`). */
  adapters?: string[];
}

/** `hesap.config.json` in the current directory, or the `"hesap"` field of package.json. */
export function readProjectConfig(dir = process.cwd()): ProjectConfig {
  for (const [file, field] of [
    ['hesap.config.json', undefined],
    ['package.json', 'hesap'],
  ] as const) {
    try {
      const parsed = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
      const config = (field ? parsed[field] : parsed) as Record<string, unknown> | undefined;
      if (config && typeof config === 'object') return config as ProjectConfig;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && file === 'hesap.config.json') {
        throw new HesapError('CONFIG_INVALID', `hesap.config.json cannot be read: ${(error as Error).message}`);
      }
    }
  }
  return {};
}

/** Natural keys from `--key table=col,col` flags over the config file's `keys`. */
export function naturalKeys(flags: readonly string[] | undefined): Record<string, string[]> | undefined {
  const keys: Record<string, string[]> = { ...(readProjectConfig().keys ?? {}) };
  for (const flag of flags ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(flag);
    if (!m) throw new HesapError('USAGE', `--key ${flag}: expected table=column[,column].`);
    keys[m[1]!.trim()] = m[2]!.split(',').map((c) => c.trim()).filter(Boolean);
  }
  return Object.keys(keys).length > 0 ? keys : undefined;
}
