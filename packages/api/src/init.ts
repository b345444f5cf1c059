import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotEnv } from 'dotenv';
import { HesapError } from '@hesap/core';
import { findProjectFiles, resolveLocations, type ProjectConfig } from './project-config';
import { status, type StatusResult } from './status';

/**
 * `hesap init`: the project's settings written once, where a project keeps them. The remote
 * URL, a secret, goes into `.env` (mode 0600 when made here); the local file and named
 * targets, not secrets, into hesap.config.json; `.hesap/` (state, snapshots) and `.env` into
 * .gitignore. An entry already there with another value is never replaced unless
 * `overwrite` says so: the result lists it as a conflict, and the caller asks.
 */

export interface InitOptions {
  /** The project folder (default: the project root above the current folder, else the current folder). */
  dir?: string;
  /** The local SQLite file, written to hesap.config.json relative to `dir`. */
  local?: string;
  /** The remote URL, written to `.env` under `variable`. */
  remote?: string;
  /** The variable that holds the URL (default HESAP_REMOTE_URL, or HESAP_<TARGET>_URL with `target`). */
  variable?: string;
  /** Names the remote as a target in hesap.config.json: `targets[target] = { remote: variable }`. */
  target?: string;
  /** Replace entries that hold another value (default: ask `confirm`, else leave them and report a conflict). */
  overwrite?: boolean;
  /** Asked once, before anything is written, when entries hold another value: true replaces them. */
  confirm?: (conflicts: string[]) => Promise<boolean>;
  /** Run `status` afterwards (default true). */
  status?: boolean;
  connectTimeoutSeconds?: number;
}

export interface InitResult {
  dir: string;
  envFile: string;
  configFile: string;
  gitignore: string;
  /** What was written, one line each (`HESAP_REMOTE_URL in .env`). */
  written: string[];
  /** What was there already with the same value. */
  unchanged: string[];
  /** Entries that hold another value and were left alone (`overwrite` not given). */
  conflicts: string[];
  status?: StatusResult;
}

/** A dotenv line for `value`, quoted so that dotenv reads it back exactly (`#`, spaces and quotes included). */
export function dotEnvLine(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new HesapError('USAGE', `${name}: a value over several lines cannot be written to .env by hesap init.`);
  const quote = ["'", '"', '`'].find((q) => !value.includes(q));
  if (!quote) throw new HesapError('USAGE', `${name}: a value holding all three quote characters cannot be written to .env; set it by hand.`);
  const line = `${name}=${quote}${value}${quote}`;
  if (parseDotEnv(line)[name] !== value) throw new HesapError('USAGE', `${name}: this value would not read back the same from .env; set it by hand.`);
  return line;
}

/** `.env` with `name` set to `value`: the line replaced where it is (one line), else added at the end. */
function setDotEnv(text: string, name: string, value: string): string {
  const line = dotEnvLine(name, value);
  const lines = text.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^\\s*(export\\s+)?${name}\\s*=`).test(l));
  if (at < 0) return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
  // An entry over several lines (an open quote) cannot be replaced line by line.
  if (parseDotEnv(lines[at]!)[name] === undefined) throw new HesapError('CONFIG_INVALID', `${name} in .env spans several lines; replace it by hand.`);
  lines[at] = line;
  return lines.join('\n');
}

function readConfig(file: string): ProjectConfig {
  if (!fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ProjectConfig;
  } catch (error) {
    throw new HesapError('CONFIG_INVALID', `${file} cannot be read: ${(error as Error).message}`);
  }
}

/** Adds the lines .gitignore lacks; returns those added. */
function ignore(file: string, entries: readonly string[]): string[] {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const present = new Set(text.split(/\r?\n/).map((l) => l.trim().replace(/^\//, '').replace(/\/$/, '')));
  const missing = entries.filter((e) => !present.has(e.replace(/\/$/, '')));
  if (missing.length > 0) fs.writeFileSync(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${missing.join('\n')}\n`);
  return missing;
}

/**
 * Writes the project's settings (see the module comment), then reads them back as every
 * command will and runs `status` on them.
 *
 * @example
 * const r = await init({ local: './app.db', remote: 'postgresql://app:…@db.example.com/app', target: 'production' });
 * if (r.conflicts.length > 0) console.log('left alone:', r.conflicts);
 */
export async function init(options: InitOptions): Promise<InitResult> {
  const dir = path.resolve(options.dir ?? findProjectFiles().root ?? process.cwd());
  const envFile = path.join(dir, '.env');
  const configFile = path.join(dir, 'hesap.config.json');
  const gitignore = path.join(dir, '.gitignore');
  const result: InitResult = { dir, envFile, configFile, gitignore, written: [], unchanged: [], conflicts: [] };
  const variable = options.variable ?? (options.target ? `HESAP_${options.target.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_URL` : 'HESAP_REMOTE_URL');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) throw new HesapError('USAGE', `"${variable}" is not a variable name.`);
  const changes: Array<{ what: string; current: unknown; wanted: unknown; apply: () => void }> = [];
  const envText = fs.existsSync(envFile) ? fs.readFileSync(envFile, 'utf8') : '';
  if (options.remote) {
    const remote = options.remote;
    changes.push({ what: `${variable} in .env`, current: parseDotEnv(envText)[variable], wanted: remote, apply: () => fs.writeFileSync(envFile, setDotEnv(fs.existsSync(envFile) ? fs.readFileSync(envFile, 'utf8') : '', variable, remote), { mode: 0o600 }) });
  }
  const config = readConfig(configFile);
  if (options.local) {
    const local = path.relative(dir, path.resolve(dir, options.local)) || options.local;
    const shown = local.startsWith('.') || path.isAbsolute(local) ? local : `./${local}`;
    changes.push({ what: '"local" in hesap.config.json', current: config.local, wanted: shown, apply: () => (config.local = shown) });
  }
  if (options.target) {
    const target = options.target;
    changes.push({
      what: `target "${target}" in hesap.config.json`,
      current: config.targets?.[target]?.remote,
      wanted: variable,
      apply: () => (config.targets = { ...config.targets, [target]: { remote: variable } }),
    });
  }
  const differing = changes.filter((c) => c.current !== undefined && c.current !== c.wanted).map((c) => c.what);
  const overwrite = options.overwrite ?? (differing.length > 0 && options.confirm ? await options.confirm(differing) : false);
  let configChanged = false;
  for (const c of changes) {
    if (c.current === c.wanted) result.unchanged.push(c.what);
    else if (c.current !== undefined && !overwrite) result.conflicts.push(c.what);
    else {
      c.apply();
      configChanged ||= c.what.endsWith('hesap.config.json');
      result.written.push(c.what);
    }
  }
  if (configChanged) fs.writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
  const ignored = ignore(gitignore, ['.hesap/', '.env']);
  if (ignored.length > 0) result.written.push(`${ignored.join(', ')} in .gitignore`);

  if (options.status !== false) {
    const where = resolveLocations({ target: options.target }, dir);
    result.status = await status({ local: where.local.value, remote: where.remote.value, configuration: where, connectTimeoutSeconds: options.connectTimeoutSeconds });
  }
  return result;
}
