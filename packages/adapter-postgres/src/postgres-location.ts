import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HesapError, isKeywordText, isUrlText, maskConnectionText, parseConnectionText, type ParsedConnection } from '@hesap/core';

/**
 * Where a PostgreSQL database is, read the way libpq (psql) reads it: a
 * `postgres[ql]://` URL or a `keyword=value` string, then a service from
 * `pg_service.conf` (`service=` or PGSERVICE), then the PG* environment variables, then
 * the defaults. The password, when none of these gives one, is looked up in `.pgpass`
 * when the server asks for it (see postgres-connection.ts).
 */

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface PostgresLocation {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  schema: string;
  sslmode: SslMode;
  sslrootcert?: string;
  applicationName: string;
  /** Seconds, from `connect_timeout`/PGCONNECT_TIMEOUT, when given there. */
  connectTimeoutSeconds?: number;
  /** The location for display: secrets masked where they stand. */
  display: string;
  /** Where the settings came from, beyond the text itself (`service "prod" in ~/.pg_service.conf`, `PGPASSWORD`). */
  sources: string[];
}

/** libpq's keywords that hesap reads; `schema` (and `currentSchema`) is hesap's own, for URLs. */
const KEYWORDS = new Set([
  'host',
  'hostaddr',
  'port',
  'user',
  'password',
  'dbname',
  'sslmode',
  'sslrootcert',
  'application_name',
  'fallback_application_name',
  'service',
  'connect_timeout',
  'schema',
  'currentschema',
  'ssl',
]);

/** The environment variables libpq reads, by keyword. */
const ENVIRONMENT: Record<string, string> = {
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  dbname: 'PGDATABASE',
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  application_name: 'PGAPPNAME',
  connect_timeout: 'PGCONNECT_TIMEOUT',
};

/** True for the texts this module reads: a postgres URL, a keyword string. */
export function isPostgresLocation(text: string): boolean {
  if (isUrlText(text)) return /^\s*postgres(ql)?:\/\//i.test(text);
  return isKeywordText(text);
}

function invalid(message: string, display: string, hints: string[] = []): HesapError {
  return new HesapError('CONFIG_INVALID', `${message}: ${display}`, { hints });
}

/** The sections of a pg_service.conf: `[name]` then `key=value` lines. */
export function parseServiceFile(text: string): Map<string, Record<string, string>> {
  const services = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = {};
      services.set(section[1]!.trim(), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return services;
}

/** The service's settings: the user's file first (PGSERVICEFILE or ~/.pg_service.conf), then the system's. */
function serviceSettings(name: string, env: NodeJS.ProcessEnv): { settings: Record<string, string>; file: string } {
  const files = [env.PGSERVICEFILE ?? path.join(os.homedir(), '.pg_service.conf'), path.join(env.PGSYSCONFDIR ?? '/etc/postgresql-common', 'pg_service.conf')];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const found = parseServiceFile(text).get(name);
    if (found) return { settings: found, file };
  }
  throw new HesapError('CONFIG_INVALID', `The service "${name}" is not defined in ${files.join(' or ')}.`, {
    hints: ['Add a [' + name + '] section to ~/.pg_service.conf (or the file PGSERVICEFILE names), or give the connection as a URL.'],
  });
}

/** The text's own settings, last one of a key winning; keys libpq does not know are refused in keyword strings. */
function ownSettings(parsed: ParsedConnection, display: string): Record<string, string> {
  const own: Record<string, string> = {};
  for (const p of parsed.params) {
    const key = p.key.toLowerCase();
    if (parsed.kind === 'keywords' && !KEYWORDS.has(key)) {
      throw invalid(`Unknown connection option "${p.key}"`, display, [`Known options: ${[...KEYWORDS].filter((k) => k !== 'currentschema').join(', ')}.`]);
    }
    own[key] = p.value;
  }
  return own;
}

/**
 * Reads a PostgreSQL location. Errors name the location with its secrets masked.
 *
 * @example
 * parsePostgresLocation('host=db.example.com dbname=app user=app sslmode=require').host; // 'db.example.com'
 */
export function parsePostgresLocation(text: string, env: NodeJS.ProcessEnv = process.env): PostgresLocation {
  const display = maskConnectionText(text);
  const parsed = parseConnectionText(text);
  const forms = ['Use postgresql://user:password@host:5432/database (characters such as @ # / in the password percent-encoded where they could be misread), or libpq keywords: host=… dbname=… user=… password=\'…\'.'];
  if (!parsed || (parsed.kind === 'url' && parsed.scheme !== 'postgres' && parsed.scheme !== 'postgresql')) throw invalid('Not a PostgreSQL location', display, forms);
  if (parsed.problems.length > 0) throw invalid(`The PostgreSQL ${parsed.kind === 'url' ? 'URL' : 'connection string'} is not valid (${parsed.problems.join('; ')})`, display, forms);
  const own = ownSettings(parsed, display);
  const sources: string[] = [];
  const service = own.service ?? env.PGSERVICE;
  const fromService = service ? serviceSettings(service, env) : undefined;
  if (fromService) sources.push(`service "${service}" in ${fromService.file}`);
  const setting = (key: string): string | undefined => {
    if (own[key] !== undefined) return own[key];
    if (fromService?.settings[key] !== undefined) return fromService.settings[key];
    const variable = ENVIRONMENT[key];
    const value = variable ? env[variable] : undefined;
    if (value !== undefined && value !== '') {
      sources.push(variable!);
      return value;
    }
    return undefined;
  };
  const mode = (setting('sslmode') ?? 'prefer').toLowerCase();
  // ssl=true / ssl=1 (Heroku style) means at least require.
  const legacySsl = own.ssl;
  const sslmode = own.sslmode === undefined && (legacySsl === 'true' || legacySsl === '1') ? 'require' : mode;
  if (!SSL_MODES.includes(sslmode as SslMode)) throw invalid(`Unknown sslmode "${sslmode}"`, display, [`Use one of: ${SSL_MODES.join(', ')}.`]);
  const portText = setting('port') ?? '5432';
  const port = Number(portText);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw invalid(`The port "${portText}" is not a port number`, display);
  const timeoutText = setting('connect_timeout');
  const connectTimeoutSeconds = timeoutText !== undefined && Number(timeoutText) > 0 ? Number(timeoutText) : undefined;
  const user = setting('user') ?? os.userInfo().username;
  return {
    host: setting('host') ?? setting('hostaddr') ?? 'localhost',
    port,
    user,
    password: setting('password'),
    database: setting('dbname') ?? user,
    schema: own.schema ?? own.currentschema ?? 'public',
    sslmode: sslmode as SslMode,
    sslrootcert: setting('sslrootcert'),
    applicationName: setting('application_name') ?? own.fallback_application_name ?? 'hesap',
    connectTimeoutSeconds,
    display,
    sources: [...new Set(sources)],
  };
}
