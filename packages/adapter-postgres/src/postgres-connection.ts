import * as fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { HesapError, redactUrl, type OpenOptions } from '@hesap/core';

/**
 * Connection settings from a PostgreSQL URL, with `sslmode` read the way libpq reads
 * it (node-postgres reads `require` as full verification and defaults to no TLS;
 * people expect libpq's meaning):
 *
 * | sslmode       | TLS            | certificate checked | host name checked |
 * | ------------- | -------------- | ------------------- | ----------------- |
 * | disable       | never          | -                   | -                 |
 * | allow, prefer | tried first... | no                  | no                |
 * | require       | always         | no (only with sslrootcert) | no         |
 * | verify-ca     | always         | yes                 | no                |
 * | verify-full   | always         | yes                 | yes               |
 *
 * `prefer` (libpq's default, used when the URL has no sslmode) tries TLS and falls
 * back to a plain connection when the server does not offer TLS. `allow` is treated
 * like `prefer`.
 */

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export interface PostgresLocation {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  schema: string;
  sslmode: SslMode;
  sslrootcert?: string;
  applicationName: string;
  /** The URL for display: password masked. */
  display: string;
}

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** Reads a `postgres://` or `postgresql://` URL. Errors never include the password. */
export function parsePostgresUrl(url: string): PostgresLocation {
  const display = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HesapError('CONFIG_INVALID', `The PostgreSQL URL is not valid: ${display}`, {
      hints: ['Use the form postgresql://user:password@host:5432/database; characters such as @ or / in the password must be percent-encoded.'],
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new HesapError('CONFIG_INVALID', `Not a PostgreSQL URL: ${display}`, { hints: ['It must start with postgres:// or postgresql://.'] });
  }
  const params = parsed.searchParams;
  const mode = (params.get('sslmode') ?? 'prefer').toLowerCase();
  if (!SSL_MODES.includes(mode as SslMode)) {
    throw new HesapError('CONFIG_INVALID', `Unknown sslmode "${mode}" in ${display}`, {
      hints: [`Use one of: ${SSL_MODES.join(', ')}.`],
    });
  }
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new HesapError('CONFIG_INVALID', `The PostgreSQL URL has a malformed percent-encoding: ${display}`);
    }
  };
  // ssl=true / ssl=1 (Heroku style) means at least require.
  const legacySsl = params.get('ssl');
  const sslmode: SslMode = !params.has('sslmode') && (legacySsl === 'true' || legacySsl === '1') ? 'require' : (mode as SslMode);
  return {
    host: params.get('host') ?? (parsed.hostname ? decode(parsed.hostname).replace(/^\[|\]$/g, '') : 'localhost'),
    port: Number(params.get('port') ?? (parsed.port || 5432)),
    user: params.get('user') ?? (parsed.username ? decode(parsed.username) : undefined),
    password: params.get('password') ?? (parsed.password ? decode(parsed.password) : undefined),
    database: params.get('dbname') ?? (parsed.pathname.length > 1 ? decode(parsed.pathname.slice(1)) : undefined),
    schema: params.get('schema') ?? params.get('currentSchema') ?? 'public',
    sslmode,
    sslrootcert: params.get('sslrootcert') ?? undefined,
    applicationName: params.get('application_name') ?? 'hesap',
    display,
  };
}

function tlsOptions(location: PostgresLocation, mode: SslMode): false | ConnectionOptions {
  if (mode === 'disable' || mode === 'allow') return false;
  const ca =
    location.sslrootcert && location.sslrootcert !== 'system'
      ? (() => {
          try {
            return fs.readFileSync(location.sslrootcert);
          } catch (error) {
            throw new HesapError('CONFIG_INVALID', `sslrootcert cannot be read: ${location.sslrootcert}`, { cause: error });
          }
        })()
      : undefined;
  switch (mode) {
    case 'prefer':
      return { rejectUnauthorized: false };
    case 'require':
      // libpq: with a root certificate given, require checks the chain like verify-ca.
      return ca ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
    case 'verify-ca':
      return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ca, rejectUnauthorized: true, servername: location.host };
  }
}

/** How the connection was secured, in words for the output. */
export function describeTls(mode: SslMode, encrypted: boolean): string {
  if (!encrypted) return mode === 'disable' ? 'none (sslmode=disable)' : `none (sslmode=${mode}; the server offers no TLS)`;
  switch (mode) {
    case 'verify-full':
      return 'TLS, certificate and host name verified (sslmode=verify-full)';
    case 'verify-ca':
      return 'TLS, certificate verified, host name not checked (sslmode=verify-ca)';
    default:
      return `TLS, certificate not verified (sslmode=${mode})`;
  }
}

export interface ConnectionSettings {
  location: PostgresLocation;
  config: pg.PoolConfig;
  /** The TLS mode actually in use after a `prefer` fallback. */
  tls: string;
}

/** Session settings that make the text forms exact and stable (see the CSV codec). */
export const SESSION_SETTINGS: Record<string, string> = {
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  extra_float_digits: '1',
  bytea_output: 'hex',
  client_encoding: 'UTF8',
  standard_conforming_strings: 'on',
};

function poolConfig(location: PostgresLocation, ssl: false | ConnectionOptions, options: OpenOptions): pg.PoolConfig {
  return {
    host: location.host,
    port: location.port,
    user: location.user,
    password: location.password,
    database: location.database,
    ssl,
    application_name: location.applicationName,
    // 0 is node-postgres's "no limit": without a limit given, none is set here.
    connectionTimeoutMillis: options.connectTimeoutSeconds === undefined ? 0 : options.connectTimeoutSeconds * 1000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    max: 4,
    idleTimeoutMillis: 10_000,
    options: Object.entries(SESSION_SETTINGS)
      .map(([k, v]) => `-c ${k}=${v.replace(/ /g, '\\ ')}`)
      .join(' '),
  };
}

/**
 * Opens a pool for the URL and checks it with one connection, following libpq's
 * `prefer`: TLS first, then plain when the server has no TLS. Errors are mapped to
 * {@link HesapError}s that name the host, never the password.
 */
export async function connectPool(url: string, options: OpenOptions = {}): Promise<{ pool: pg.Pool; settings: ConnectionSettings; serverVersion: number; latencyMs: number }> {
  const location = parsePostgresUrl(url);
  const attempt = async (ssl: false | ConnectionOptions) => {
    const config = poolConfig(location, ssl, options);
    const pool = new pg.Pool(config);
    pool.on('error', () => undefined); // idle client errors surface on the next query
    const started = Date.now();
    try {
      const client = await pool.connect();
      try {
        const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
        const latencyMs = Date.now() - started;
        const encrypted = Boolean((client as unknown as { connection?: { stream?: { encrypted?: boolean } } }).connection?.stream?.encrypted);
        client.release();
        return { pool, config, serverVersion: Number(rows[0]!.v), latencyMs, encrypted };
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  };
  const ssl = tlsOptions(location, location.sslmode);
  let result;
  let mode = location.sslmode;
  try {
    result = await attempt(ssl);
  } catch (error) {
    const noTls = /does not support SSL/i.test((error as Error).message ?? '');
    if (noTls && (mode === 'prefer' || mode === 'allow')) {
      mode = 'disable';
      try {
        result = await attempt(false);
      } catch (second) {
        throw mapConnectionError(second, location);
      }
    } else {
      throw mapConnectionError(error, location);
    }
  }
  if (!(result.serverVersion >= 120000)) {
    await result.pool.end();
    throw new HesapError('SERVER_TOO_OLD', `${location.display} runs PostgreSQL ${Math.floor(result.serverVersion / 10000)}; hesap needs 12 or newer.`, {
      hints: ['Upgrade the server, or use a newer hosted plan.'],
    });
  }
  const tls = describeTls(location.sslmode === 'allow' ? 'prefer' : location.sslmode, result.encrypted);
  options.log?.('info', `Connected to ${location.display}; ${tls}.`);
  return { pool: result.pool, settings: { location, config: result.config, tls }, serverVersion: result.serverVersion, latencyMs: result.latencyMs };
}

/** The SQLSTATEs and socket errors worth trying again: the connection, not the data, failed. */
export function isTransient(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  const code = e?.code ?? '';
  if (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300', '40001', '40P01'].includes(code)) return true;
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(code)) return true;
  return /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error/i.test(e?.message ?? '');
}

/** Turns a driver error met while connecting into a HesapError with a remedy. */
export function mapConnectionError(error: unknown, location: PostgresLocation): HesapError {
  if (error instanceof HesapError) return error;
  const e = error as { code?: string; message?: string };
  const code = e?.code ?? '';
  const where = `${location.host}:${location.port}`;
  const message = e?.message ?? String(error);
  const base = { cause: error, sqlstate: /^[0-9A-Z]{5}$/.test(code) ? code : undefined };
  if (code === 'ECONNREFUSED') {
    return new HesapError('CONNECTION_REFUSED', `Nothing accepts connections at ${where}.`, {
      ...base,
      retriable: true,
      hints: ['Check that the server is running and that host and port in the URL are right.'],
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new HesapError('CONNECTION_REFUSED', `The host name ${location.host} cannot be resolved.`, {
      ...base,
      retriable: code === 'EAI_AGAIN',
      hints: ['Check the host in the URL and your network connection.'],
    });
  }
  // 'no pg_hba.conf entry ... SSL off', or a `hostnossl ... reject` line: '... no encryption'.
  if (/no pg_hba\.conf entry|SSL off|no encryption/i.test(message)) {
    return new HesapError('TLS_REQUIRED', `The server at ${where} refused the connection: ${message}`, {
      ...base,
      hints: ['Hosted servers usually require TLS: add sslmode=require to the URL.'],
    });
  }
  if (code === '28P01' || code === '28000') {
    return new HesapError('AUTH_FAILED', `The server at ${where} refused the user name or password.`, {
      ...base,
      hints: ['Check the user and password in the URL (the password is not shown here).'],
    });
  }
  if (code === '3D000') {
    return new HesapError('DATABASE_MISSING', `The database "${location.database}" does not exist on ${where}.`, {
      ...base,
      hints: ['Create it first (createdb), or fix the database name in the URL.'],
    });
  }
  if (/timeout/i.test(message)) {
    return new HesapError('CONNECTION_TIMEOUT', `No answer from ${where} within the connect timeout.`, {
      ...base,
      retriable: true,
      hints: ['Check the host and port, firewalls, and that the server is up; raise the timeout with --connect-timeout.'],
    });
  }
  if (/does not support SSL/i.test(message)) {
    return new HesapError('TLS_REQUIRED', `The server at ${where} does not offer TLS, but sslmode=${location.sslmode} requires it.`, {
      ...base,
      hints: ['Use sslmode=prefer or sslmode=disable for a server without TLS (a local one), or enable TLS on the server.'],
    });
  }
  if (/self[- ]signed|certificate|unable to verify|altnames|SSL|TLS/i.test(message) && !/no pg_hba.conf/.test(message)) {
    return new HesapError('TLS_REJECTED', `The TLS certificate of ${where} was not accepted (sslmode=${location.sslmode}): ${message}`, {
      ...base,
      hints: [
        'Give the server\'s CA with sslrootcert=/path/ca.pem, or use sslmode=require to encrypt without verifying the certificate.',
      ],
    });
  }
  return new HesapError(isTransient(error) ? 'CONNECTION_LOST' : 'INTERNAL', `Could not connect to ${where}: ${message}`, {
    ...base,
    retriable: isTransient(error),
  });
}
