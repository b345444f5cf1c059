import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotEnv } from 'dotenv';
import { EPOCH_UNITS, HesapError, type EpochUnit, type MigrationTablesSetting } from '@hesap/core';
import type { EpochDatesOption } from './options';

/**
 * A project's own settings, read the same way for the CLI and for a Node program, and the
 * way the rest of the ecosystem reads them: `.env` through dotenv's parser (quotes, trailing
 * comments, `export`, multi-line values), found in the current folder or the nearest parent
 * up to the project root; hesap.config.json for what is not secret (the local file, named
 * targets, natural keys, adapter plugins). Nothing here writes a file (see `init.ts`).
 */

/** The folders and files of the project hesap is run in. */
export interface ProjectFiles {
  /** The nearest folder from the current one up that holds package.json or .git. */
  root?: string;
  /** The `.env` read: in the current folder or the nearest parent up to the root. */
  envFile?: string;
  /** hesap.config.json, found the same way. */
  configFile?: string;
}

/** The nearest folder from `dir` up that holds package.json or .git; undefined when there is none. */
export function projectRoot(dir: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (fs.existsSync(path.join(at, 'package.json')) || fs.existsSync(path.join(at, '.git'))) return at;
    if (path.dirname(at) === at) return undefined;
  }
}

/**
 * `name` in `dir` or the nearest parent up to the project root. Outside any project only
 * `dir` itself is looked at: a `.env` in a home folder is no project's.
 */
function findUp(name: string, dir: string, root: string | undefined): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const file = path.join(at, name);
    if (fs.existsSync(file)) return file;
    if (!root || at === root || path.dirname(at) === at) return undefined;
  }
}

export function findProjectFiles(dir = process.cwd()): ProjectFiles {
  const root = projectRoot(dir);
  return { root, envFile: findUp('.env', dir, root), configFile: findUp('hesap.config.json', dir, root) };
}

/** The `.env` file's entries, parsed by dotenv (never `config()`: it sets variables and, in recent versions, prints). Missing file: empty. */
export function readDotEnv(file = findProjectFiles().envFile): Record<string, string> {
  if (!file) return {};
  try {
    return parseDotEnv(fs.readFileSync(file));
  } catch {
    return {};
  }
}

/** Where the local file is named, in order after --local (DATABASE_URL only in its SQLite forms). */
export const LOCAL_VARIABLES = ['HESAP_LOCAL_DB'] as const;
/** Where the remote URL is named, in order after --remote and --target. */
export const REMOTE_VARIABLES = ['HESAP_REMOTE_URL', 'RENDER_DATABASE_URL', 'DATABASE_URL'] as const;

export interface ResolvedSetting {
  value?: string;
  /** Where it came from: `--remote`, `DATABASE_URL (environment)`, `DATABASE_URL (/app/.env)`, `local (hesap.config.json)`. */
  source?: string;
  /** What a reader should know about how it was read (a Prisma path's folder, a variable passed over). */
  notes: string[];
}

/** What hesap.config.json (or the `"hesap"` field of package.json) may hold. Never secrets. */
export interface ProjectConfig {
  /** The local SQLite file, relative to the configuration file's folder. */
  local?: string;
  /**
   * Named remotes: `{ "production": { "remote": "RENDER_DATABASE_URL" } }`. Each names the
   * VARIABLE (environment or .env) that holds the URL, never the URL itself.
   */
  targets?: Record<string, { remote: string }>;
  /** The target used when neither --target nor --remote is given. */
  defaultTarget?: string;
  /** Natural keys for merge, by table: `{ "users": ["email"] }`. */
  keys?: Record<string, string[]>;
  /** Adapter packages to load (see `loadAdapterPlugins`). */
  adapters?: string[];
  /** Migration bookkeeping: `auto` (default) or `include` (see `migrationTablesSetting`). */
  migrationTables?: unknown;
  /** Integers that are dates: `"ms"`, `"s"`, or `{ "*": "ms", "events.at": "s" }` (see `epochDatesSetting`). */
  epochDates?: unknown;
}

/** hesap.config.json found from `dir` up to the project root, or the `"hesap"` field of the root's package.json. */
export function readProjectConfig(dir = process.cwd()): ProjectConfig {
  return readConfigWithFile(dir).config;
}

function readConfigWithFile(dir: string): { config: ProjectConfig; file?: string } {
  const files = findProjectFiles(dir);
  if (files.configFile) {
    try {
      const parsed = JSON.parse(fs.readFileSync(files.configFile, 'utf8')) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('it is not a JSON object');
      return { config: parsed as ProjectConfig, file: files.configFile };
    } catch (error) {
      throw new HesapError('CONFIG_INVALID', `${files.configFile} cannot be read: ${(error as Error).message}`);
    }
  }
  const manifest = files.root ? path.join(files.root, 'package.json') : undefined;
  try {
    const field = manifest ? (JSON.parse(fs.readFileSync(manifest, 'utf8')) as Record<string, unknown>).hesap : undefined;
    if (field && typeof field === 'object') return { config: field as ProjectConfig, file: manifest };
  } catch {
    // A package.json that is not JSON is npm's problem, not hesap's.
  }
  return { config: {} };
}

/** The flags that name the two databases. */
export interface LocationFlags {
  local?: string;
  remote?: string;
  /** A target named in hesap.config.json. */
  target?: string;
}

/** Where the two databases come from, and the files that said so. */
export interface ProjectLocations extends ProjectFiles {
  local: ResolvedSetting;
  remote: ResolvedSetting;
  /** The named target the remote came from. */
  target?: string;
}

interface Context {
  cwd: string;
  env: NodeJS.ProcessEnv;
  files: ProjectFiles;
  dotenv: Record<string, string>;
  config: ProjectConfig;
  configFile?: string;
}

function contextOf(cwd: string, env: NodeJS.ProcessEnv): Context {
  const files = findProjectFiles(cwd);
  const { config, file } = readConfigWithFile(cwd);
  return { cwd, env, files, dotenv: readDotEnv(files.envFile), config, configFile: file };
}

/** A variable's value, the environment first, then `.env`; with where it came from and the folder a relative path in it is relative to. */
function variable(c: Context, name: string): { value: string; source: string; base: string } | undefined {
  const fromEnv = c.env[name];
  if (fromEnv) return { value: fromEnv, source: `${name} (environment)`, base: c.cwd };
  const fromFile = c.dotenv[name];
  if (fromFile) return { value: fromFile, source: `${name} (${c.files.envFile})`, base: path.dirname(c.files.envFile!) };
  return undefined;
}

/**
 * A DATABASE_URL that names a SQLite file: Prisma's `file:./dev.db`, django-environ's
 * `sqlite:///db.sqlite3` (relative) and `sqlite:////abs/db.sqlite3`. Undefined for anything
 * else. `base` is the folder a relative path is taken from when no rule says otherwise.
 */
export function localDatabaseUrl(value: string, base: string, root: string | undefined): { file: string; notes: string[] } | undefined {
  const text = value.trim();
  const prisma = /^file:(.*)$/i.exec(text);
  if (prisma) {
    const raw = prisma[1]!.replace(/^\/\/(?=\/)/, '').replace(/\?.*$/, '');
    if (path.isAbsolute(raw)) return { file: raw, notes: [] };
    return prismaRelative(raw, base, root);
  }
  const django = /^sqlite3?:\/\/(.*)$/i.exec(text);
  if (django) {
    // sqlite:///db.sqlite3 is the relative path db.sqlite3; sqlite:////abs/db.sqlite3 is /abs/db.sqlite3.
    const rest = django[1]!.replace(/\?.*$/, '');
    if (rest === '' || rest === ':memory:' || rest === '/:memory:') {
      throw new HesapError('CONFIG_INVALID', `DATABASE_URL names an in-memory SQLite database (${text}): there is no file to push or pull.`, {
        hints: ['Point DATABASE_URL at a file (sqlite:///db.sqlite3), or pass --local.'],
      });
    }
    const file = rest.startsWith('/') ? rest.slice(1) : rest;
    return { file: path.isAbsolute(file) ? file : path.resolve(base, file), notes: [] };
  }
  return undefined;
}

/** Where Prisma keeps its schema: package.json's `prisma.schema`, else prisma/schema.prisma, else schema.prisma (from the project root). */
function prismaSchema(root: string | undefined, base: string): string | undefined {
  const dir = root ?? base;
  try {
    const field = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { prisma?: { schema?: string } }).prisma?.schema;
    if (field && fs.existsSync(path.resolve(dir, field))) return path.resolve(dir, field);
  } catch {
    // no package.json, or no prisma field
  }
  return [path.join(dir, 'prisma', 'schema.prisma'), path.join(dir, 'schema.prisma')].find((f) => fs.existsSync(f));
}

/** Prisma reads a relative `file:` path from the folder of its schema file, not from the folder of `.env`. */
function prismaRelative(raw: string, base: string, root: string | undefined): { file: string; notes: string[] } {
  const schema = prismaSchema(root, base);
  if (!schema) {
    return {
      file: path.resolve(base, raw),
      notes: [`No Prisma schema (prisma/schema.prisma) was found, so file:${raw} is taken relative to ${base}; Prisma would read it relative to its schema's folder. Pass --local to be sure.`],
    };
  }
  const file = path.resolve(path.dirname(schema), raw);
  const notes = [`file:${raw} is relative to ${path.dirname(schema)}, the folder of ${path.basename(schema)}, as Prisma reads it.`];
  const other = path.resolve(base, raw);
  if (other !== file && fs.existsSync(other) && !fs.existsSync(file)) {
    notes.push(`${other} exists but ${file} does not: Prisma reads the latter. Pass --local ${other} if you meant the former.`);
  }
  return { file, notes };
}

function resolveLocalIn(c: Context, flag: string | undefined): ResolvedSetting {
  if (flag) return { value: flag, source: '--local', notes: [] };
  for (const name of LOCAL_VARIABLES) {
    const found = variable(c, name);
    if (found) return { value: found.value, source: found.source, notes: [] };
  }
  if (c.config.local && c.configFile) {
    return { value: path.resolve(path.dirname(c.configFile), c.config.local), source: `local (${c.configFile})`, notes: [] };
  }
  const url = variable(c, 'DATABASE_URL');
  const local = url ? localDatabaseUrl(url.value, url.base, c.files.root) : undefined;
  if (url && local) return { value: local.file, source: url.source, notes: local.notes };
  return { notes: [] };
}

function resolveRemoteIn(c: Context, flag: string | undefined, target: string | undefined): ResolvedSetting & { target?: string } {
  if (flag) return { value: flag, source: '--remote', notes: [] };
  const targets = c.config.targets ?? {};
  const chosen = target ?? c.config.defaultTarget;
  if (chosen) {
    const entry = targets[chosen];
    if (!entry || typeof entry.remote !== 'string') {
      const known = Object.keys(targets);
      throw new HesapError('CONFIG_INVALID', `There is no target "${chosen}" in ${c.configFile ?? 'hesap.config.json'}.`, {
        hints: [known.length > 0 ? `Known targets: ${known.join(', ')}.` : 'Add one: "targets": { "production": { "remote": "RENDER_DATABASE_URL" } } (the variable that holds the URL).'],
      });
    }
    const found = variable(c, entry.remote);
    if (!found) {
      throw new HesapError('CONFIG_MISSING', `The target "${chosen}" takes its URL from ${entry.remote}, which is not set.`, {
        hints: [`Set ${entry.remote} in the environment or in ${c.files.envFile ?? '.env'}.`],
      });
    }
    return { value: found.value, source: `target "${chosen}": ${found.source}`, notes: [], target: chosen };
  }
  if (Object.keys(targets).length > 0) {
    throw new HesapError('CONFIG_MISSING', `${c.configFile} names targets (${Object.keys(targets).join(', ')}): choose one with --target.`, {
      hints: ['Or name one as "defaultTarget" in the configuration, or pass --remote.'],
    });
  }
  const notes: string[] = [];
  for (const name of REMOTE_VARIABLES) {
    const found = variable(c, name);
    if (!found) continue;
    if (name === 'DATABASE_URL' && localDatabaseUrl(found.value, found.base, c.files.root)) {
      notes.push(`${found.source} names a SQLite file: it is the local database, not the remote. Set HESAP_REMOTE_URL or RENDER_DATABASE_URL, or pass --remote.`);
      continue;
    }
    return { value: found.value, source: found.source, notes };
  }
  return { notes };
}

/**
 * Where the local file and the remote database are, and how that was decided. The local
 * file: --local, HESAP_LOCAL_DB, `local` in hesap.config.json, then DATABASE_URL when it
 * names a SQLite file (Prisma's `file:`, django-environ's `sqlite:`). The remote: --remote,
 * --target (or the configuration's `defaultTarget`), then HESAP_REMOTE_URL,
 * RENDER_DATABASE_URL and DATABASE_URL (unless it names a SQLite file). Each variable is read
 * from the environment first, then `.env`.
 *
 * @example
 * const where = resolveLocations({ target: 'staging' });
 * console.log(where.envFile, where.remote.source); // '/app/.env', 'target "staging": STAGING_URL (/app/.env)'
 */
export function resolveLocations(flags: LocationFlags = {}, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): ProjectLocations {
  const c = contextOf(cwd, env);
  const { target, ...remote } = resolveRemoteIn(c, flags.remote, flags.target);
  return { ...c.files, configFile: c.configFile, local: resolveLocalIn(c, flags.local), remote, target };
}

export function resolveLocal(flag?: string): ResolvedSetting {
  return resolveLocalIn(contextOf(process.cwd(), process.env), flag);
}

export function resolveRemote(flag?: string, target?: string): ResolvedSetting {
  const { target: _chosen, ...remote } = resolveRemoteIn(contextOf(process.cwd(), process.env), flag, target);
  return remote;
}

/** The setting's value, or CONFIG_MISSING saying where hesap looked and how to set it. */
function required(setting: ResolvedSetting, missing: string, looked: string, remedy: string): string {
  if (setting.value) return setting.value;
  const envFile = findProjectFiles().envFile;
  throw new HesapError('CONFIG_MISSING', missing, {
    hints: [`Looked at ${looked} in the environment and in ${envFile ?? `.env (none found from ${process.cwd()} up to the project root)`}.`, ...setting.notes, remedy],
  });
}

/** The local SQLite file (see `resolveLocations`); CONFIG_MISSING without one. */
export function requireLocal(flag?: string): string {
  return required(
    resolveLocal(flag),
    'No local database is configured.',
    `\`local\`, then ${LOCAL_VARIABLES.join(', ')}, "local" in hesap.config.json and a SQLite DATABASE_URL (file:, sqlite:)`,
    "Give `local: './app.db'`, add HESAP_LOCAL_DB=./app.db to .env, or run `hesap init`.",
  );
}

/** The remote URL (see `resolveLocations`); CONFIG_MISSING without one. */
export function requireRemote(flag?: string, target?: string): string {
  return required(
    resolveRemote(flag, target),
    'No remote database URL is configured.',
    `\`remote\`, \`target\`, then ${REMOTE_VARIABLES.join(', ')}`,
    'Add DATABASE_URL=postgresql://user:password@host:5432/db to .env (better than a password on a command line, which other users see in `ps`), or run `hesap init`.',
  );
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

/** `"migrationTables"` in hesap.config.json: `include` copies migration bookkeeping like any table; `auto` (default) leaves it home where the target has its own. */
export function migrationTablesSetting(): MigrationTablesSetting | undefined {
  const value = readProjectConfig().migrationTables;
  if (value === undefined || value === 'auto' || value === 'include') return value;
  throw new HesapError('CONFIG_INVALID', `hesap.config.json: "migrationTables" is ${JSON.stringify(value)}; expected "auto" or "include".`);
}

/**
 * Which integers are dates, from `--epoch-dates` flags over hesap.config.json's `"epochDates"`:
 * a flag `ms` or `s` for every column declared as a date and time, `table.column=ms` for one.
 */
export function epochDatesSetting(flags: readonly string[] | undefined): EpochDatesOption | undefined {
  const configured = readProjectConfig().epochDates;
  const mapping: Record<string, EpochUnit> = {};
  const isUnit = (v: unknown): v is EpochUnit => EPOCH_UNITS.includes(v as EpochUnit);
  if (isUnit(configured)) mapping['*'] = configured;
  else if (configured && typeof configured === 'object' && !Array.isArray(configured) && Object.values(configured).every(isUnit)) Object.assign(mapping, configured);
  else if (configured !== undefined) {
    throw new HesapError('CONFIG_INVALID', `hesap.config.json: "epochDates" is ${JSON.stringify(configured)}; expected "ms", "s" or { "table.column": "ms" | "s" }.`);
  }
  for (const flag of flags ?? []) {
    const m = /^(?:(.+)=)?\s*(ms|s)\s*$/s.exec(flag);
    if (!m) throw new HesapError('USAGE', `--epoch-dates ${flag}: expected ms, s, or table.column=ms|s.`);
    mapping[m[1]?.trim() ?? '*'] = m[2] as EpochUnit;
  }
  return Object.keys(mapping).length > 0 ? mapping : undefined;
}
