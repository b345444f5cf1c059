import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { HesapError, type OpenOptions } from '@hesap/core';
import { lookupPgpass } from './postgres-pgpass';
import { parsePostgresLocation, type PostgresLocation, type SslMode } from './postgres-location';

export type { PostgresLocation, SslMode } from './postgres-location';

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
 * back to a plain connection when the server does not offer TLS. `allow` is the other way
 * round: plain first, TLS when the server refuses a plain connection.
 */

/** The CA certificates of `sslrootcert`, checked to be certificates (libpq's `system`: the machine's own). */
function rootCertificates(location: PostgresLocation): Buffer | undefined {
  const file = location.sslrootcert;
  if (!file || file === 'system') return undefined;
  let pem: Buffer;
  try {
    pem = fs.readFileSync(file);
  } catch (error) {
    throw new HesapError('CONFIG_INVALID', `sslrootcert cannot be read: ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, {
      cause: error,
      hints: ['Give the path of the server\'s CA certificate (a PEM file), as your provider publishes it.'],
    });
  }
  try {
    new X509Certificate(pem);
  } catch (error) {
    throw new HesapError('CONFIG_INVALID', `sslrootcert ${file} holds no certificate in PEM form.`, {
      cause: error,
      hints: ['It must be a CA certificate (-----BEGIN CERTIFICATE-----), as your provider publishes it.'],
    });
  }
  return pem;
}

/**
 * Node's TLS options for a mode. The server name for SNI and the host check is left to
 * node-postgres, which sets it only for host names (an IP address there is refused by RFC
 * 6066, and Node warns about it: DEP0123).
 */
function tlsOptions(mode: SslMode, ca: Buffer | undefined): false | ConnectionOptions {
  switch (mode) {
    case 'disable':
      return false;
    case 'allow':
    case 'prefer':
      return { rejectUnauthorized: false };
    case 'require':
      // libpq: with a root certificate given, require checks the chain like verify-ca.
      return ca ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
    case 'verify-ca':
      return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ca, rejectUnauthorized: true };
  }
}

/** How the connection was secured, in words for the output. */
export function describeTls(mode: SslMode, encrypted: boolean): string {
  if (!encrypted) {
    if (mode === 'disable') return 'none (sslmode=disable)';
    if (mode === 'allow') return 'none (sslmode=allow: a plain connection was accepted)';
    return `none (sslmode=${mode}; the server offers no TLS)`;
  }
  switch (mode) {
    case 'verify-full':
      return 'TLS, certificate and host name verified (sslmode=verify-full)';
    case 'verify-ca':
      return 'TLS, certificate verified, host name not checked (sslmode=verify-ca)';
    case 'allow':
      return 'TLS, certificate not verified (sslmode=allow: the server refused a plain connection)';
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

function whereOf(location: PostgresLocation): string {
  return `${location.host}:${location.port}`;
}

/**
 * The password: from the location (the text, its service, PGPASSWORD), else asked for only
 * when the server wants one: `.pgpass` (PGPASSFILE), else PASSWORD_REQUIRED saying where to put it.
 */
function passwordOf(location: PostgresLocation, log: OpenOptions['log']): string | (() => Promise<string>) {
  if (location.password !== undefined) return location.password;
  return async () => {
    const found = await lookupPgpass(location, (message) => log?.('warn', message));
    if (found !== undefined) return found;
    throw new HesapError('PASSWORD_REQUIRED', `The server at ${whereOf(location)} asks for a password for the user "${location.user}", and none was given.`, {
      hints: [
        'Put it in the URL (postgresql://user:password@host/db) in .env or the environment, in PGPASSWORD, or in ~/.pgpass (host:port:database:user:password, mode 0600).',
      ],
    });
  };
}

function poolConfig(location: PostgresLocation, ssl: false | ConnectionOptions, options: OpenOptions, timeoutMs: number): pg.PoolConfig {
  return {
    host: location.host,
    port: location.port,
    user: location.user,
    password: passwordOf(location, options.log),
    database: location.database,
    ssl,
    application_name: location.applicationName,
    connectionTimeoutMillis: timeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    max: 4,
    Client: ReportingClient as unknown as pg.PoolConfig['Client'],
    idleTimeoutMillis: 10_000,
    options: Object.entries(SESSION_SETTINGS)
      .map(([k, v]) => `-c ${k}=${v.replace(/ /g, '\\ ')}`)
      .join(' '),
  };
}

/**
 * A client that keeps the server's version as the server reports it during start-up
 * (ParameterStatus `server_version`): no query, no round trip, is needed to learn it.
 */
class ReportingClient extends pg.Client {
  serverVersionText?: string;
  constructor(config?: pg.ClientConfig) {
    super(config);
    const connection = (this as unknown as { connection: NodeJS.EventEmitter }).connection;
    connection.on('parameterStatus', (message: { parameterName: string; parameterValue: string }) => {
      if (message.parameterName === 'server_version') this.serverVersionText = message.parameterValue;
    });
  }
}

/** `server_version` ("16.4 (Debian 16.4-1)", "12.19", "9.6.24") as server_version_num reads it; undefined when it is not such a text. */
export function versionNumber(text: string | undefined): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text ?? '');
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  return major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100 + patch;
}

interface Attempt {
  pool: pg.Pool;
  config: pg.PoolConfig;
  serverVersion: number;
  latencyMs: number;
  encrypted: boolean;
}

/**
 * One connection start, TCP, TLS and authentication (no query: the server's version comes with
 * its start-up), within `deadline`
 * when there is one (a server that accepts and then never answers, or stalls in the
 * password exchange, fails at the deadline: node-postgres' own timeout covers less of it).
 */
async function attempt(location: PostgresLocation, ssl: false | ConnectionOptions, options: OpenOptions, deadline: number | undefined): Promise<Attempt> {
  // 0 is node-postgres's "no limit".
  const timeoutMs = deadline === undefined ? 0 : Math.max(1, deadline - Date.now());
  const config = poolConfig(location, ssl, options, timeoutMs);
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined); // idle client errors surface on the next query
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    if (timeoutMs > 0) timer = setTimeout(() => reject(new Error('connection timeout expired')), timeoutMs);
  });
  const work = (async () => {
    const client = await pool.connect();
    try {
      // The version the server reported while starting up; asked only of one that reported none.
      let serverVersion = versionNumber((client as unknown as ReportingClient).serverVersionText);
      if (serverVersion === undefined) {
        const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
        serverVersion = Number(rows[0]!.v);
      }
      const encrypted = Boolean((client as unknown as { connection?: { stream?: { encrypted?: boolean } } }).connection?.stream?.encrypted);
      client.release();
      return { pool, config, serverVersion, latencyMs: Date.now() - started, encrypted };
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
  })();
  try {
    return await Promise.race([work, late]);
  } catch (error) {
    work.catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A plain connection refused by the server's rules (pg_hba.conf `hostssl`, or no entry without TLS). */
function refusedWithoutTls(error: unknown): boolean {
  return /pg_hba\.conf.*(SSL off|no encryption)/i.test((error as Error)?.message ?? '');
}

/**
 * Opens a pool for the location (a URL or a keyword string) and checks it with one
 * connection, following libpq's sslmode: `prefer` tries TLS, then plain when the server has
 * none; `allow` tries plain, then TLS when the server refuses plain connections. Errors are
 * mapped to {@link HesapError}s that name the host, never the password.
 */
export async function connectPool(text: string, options: OpenOptions = {}): Promise<{ pool: pg.Pool; settings: ConnectionSettings; serverVersion: number; latencyMs: number }> {
  const location = parsePostgresLocation(text);
  // The tighter of the caller's limit and the location's own connect_timeout; none given, none set.
  const limits = [options.connectTimeoutSeconds, location.connectTimeoutSeconds].filter((s): s is number => s !== undefined && s > 0);
  const deadline = limits.length > 0 ? Date.now() + Math.min(...limits) * 1000 : undefined;
  const mode = location.sslmode;
  const ca = mode === 'disable' || mode === 'allow' || mode === 'prefer' ? undefined : rootCertificates(location);
  const first = tlsOptions(mode === 'allow' ? 'disable' : mode, ca);
  let result: Attempt;
  try {
    result = await attempt(location, first, options, deadline);
  } catch (error) {
    const fallback =
      (mode === 'prefer' && /does not support SSL/i.test((error as Error).message ?? '')) || (mode === 'allow' && refusedWithoutTls(error))
        ? tlsOptions(mode === 'prefer' ? 'disable' : 'allow', undefined)
        : undefined;
    if (fallback === undefined) throw mapConnectionError(error, location);
    try {
      result = await attempt(location, fallback, options, deadline);
    } catch (second) {
      throw mapConnectionError(second, location);
    }
  }
  if (!(result.serverVersion >= 120000)) {
    await result.pool.end();
    throw new HesapError('SERVER_TOO_OLD', `${location.display} runs PostgreSQL ${Math.floor(result.serverVersion / 10000)}; hesap needs 12 or newer.`, {
      hints: ['Upgrade the server, or use a newer hosted plan.'],
    });
  }
  const tls = describeTls(mode, result.encrypted);
  options.log?.('info', `Connected to ${location.display}${location.sources.length > 0 ? ` (with ${location.sources.join(', ')})` : ''}; ${tls}.`);
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

/** What Node's TLS error codes mean, said for a user, and what to do about each. */
const TLS_CAUSES: Record<string, { says: string; hint: string }> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    says: 'the certificate is self-signed',
    hint: "Give the server's own certificate as sslrootcert=/path/cert.pem, or use sslmode=require to encrypt without verifying.",
  },
  SELF_SIGNED_CERT_IN_CHAIN: {
    says: 'the certificate chain ends in a self-signed CA that is not trusted',
    hint: "Give that CA as sslrootcert=/path/ca.pem (your provider publishes it), or use sslmode=require to encrypt without verifying.",
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    says: 'the certificate is not signed by the CA given (or by one this machine trusts)',
    hint: "Check that sslrootcert names your provider's CA certificate for this server.",
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    says: 'the certificate is not signed by the CA given (or by one this machine trusts)',
    hint: "Check that sslrootcert names your provider's CA certificate for this server.",
  },
  CERT_HAS_EXPIRED: { says: 'the certificate has expired', hint: 'The server must renew its certificate; until then sslmode=require encrypts without verifying.' },
  CERT_NOT_YET_VALID: { says: 'the certificate is not valid yet', hint: "Check this machine's clock." },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    says: 'the certificate is for another host name',
    hint: 'Connect with the host name the certificate names, or use sslmode=verify-ca, which checks the certificate against sslrootcert but not the host name.',
  },
};

/** Turns a driver error met while connecting into a HesapError with a remedy. */
export function mapConnectionError(error: unknown, location: PostgresLocation): HesapError {
  if (error instanceof HesapError) return error;
  const e = error as { code?: string; message?: string };
  const code = e?.code ?? '';
  const where = whereOf(location);
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
    return new HesapError('HOST_UNKNOWN', `The host name ${location.host} cannot be resolved${code === 'EAI_AGAIN' ? ' (the name server did not answer)' : ''}.`, {
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
  if (/client password must be a string|password authentication failed.*no password/i.test(message)) {
    return new HesapError('PASSWORD_REQUIRED', `The server at ${where} asks for a password for the user "${location.user}", and none was given.`, {
      ...base,
      hints: ['Put it in the URL in .env or the environment, in PGPASSWORD, or in ~/.pgpass.'],
    });
  }
  if (code === '28P01' || code === '28000') {
    return new HesapError('AUTH_FAILED', `The server at ${where} refused the user name or password.`, {
      ...base,
      hints: ['Check the user and password in the URL (the password is not shown here).'],
    });
  }
  if (code === '42501') {
    return new HesapError('PERMISSION_DENIED', `The role "${location.user}" may not connect to the database "${location.database}" on ${where}.`, {
      ...base,
      hints: [`An administrator can allow it: GRANT CONNECT ON DATABASE "${location.database.replace(/"/g, '""')}" TO "${location.user.replace(/"/g, '""')}";`],
    });
  }
  if (code === '3D000') {
    return new HesapError('DATABASE_MISSING', `The database "${location.database}" does not exist on ${where}.`, {
      ...base,
      hints: ['Create it first (createdb), or fix the database name in the URL.'],
    });
  }
  const tlsCause = TLS_CAUSES[code];
  if (tlsCause) {
    return new HesapError('TLS_REJECTED', `The TLS certificate of ${where} was not accepted (sslmode=${location.sslmode}): ${tlsCause.says}.`, { ...base, hints: [tlsCause.hint] });
  }
  if (/timeout/i.test(message)) {
    return new HesapError('CONNECTION_TIMEOUT', `No answer from ${where} within the connect timeout.`, {
      ...base,
      retriable: true,
      hints: ['Check the host and port, firewalls, and that the server is up; raise `connectTimeoutSeconds`.'],
    });
  }
  if (/does not support SSL/i.test(message)) {
    return new HesapError('TLS_REQUIRED', `The server at ${where} does not offer TLS, but sslmode=${location.sslmode} requires it.`, {
      ...base,
      hints: ['Use sslmode=prefer or sslmode=disable for a server without TLS (a local one), or enable TLS on the server.'],
    });
  }
  if (/self[- ]signed|certificate|unable to verify|altnames|SSL|TLS/i.test(message)) {
    return new HesapError('TLS_REJECTED', `The TLS certificate of ${where} was not accepted (sslmode=${location.sslmode}): ${message}`, {
      ...base,
      hints: ["Give the server's CA with sslrootcert=/path/ca.pem, or use sslmode=require to encrypt without verifying the certificate."],
    });
  }
  return new HesapError(isTransient(error) ? 'CONNECTION_LOST' : 'INTERNAL', `Could not connect to ${where}: ${message}`, {
    ...base,
    retriable: isTransient(error),
  });
}
