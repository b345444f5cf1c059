import {
  AdapterBase,
  DEFAULT_CAPABILITIES,
  HesapError,
  redactUrl,
  type AdapterCapabilities,
  type OpenOptions,
  type ProbeResult,
} from '@hesap/core';
import { connectPool } from './postgres-connection';
import { isPostgresLocation } from './postgres-location';
import { PostgresSource } from './postgres-source';
import { PostgresTarget } from './postgres-target';

const CAPABILITIES: AdapterCapabilities = Object.freeze({
  ...DEFAULT_CAPABILITIES,
  source: true,
  target: true,
  maxIdentifierBytes: 63,
  consistentRead: true,
  atomicLoad: true,
  createsChecks: true,
  mergeModes: Object.freeze(['merge', 'upsert', 'append'] as const),
  textAllowsNul: false,
});

function versionText(num: number): string {
  return `PostgreSQL ${Math.floor(num / 10000)}.${num % 10000}`;
}

/** A probe result with what `status` shows about a server. */
export interface PostgresProbeResult extends ProbeResult {
  tls?: string;
}

/** PostgreSQL through node-postgres: COPY in and out, one transaction per load. */
export class PostgresAdapter extends AdapterBase {
  readonly name = 'postgres';
  readonly schemes = ['postgres', 'postgresql'] as const;

  override get capabilities(): AdapterCapabilities {
    return CAPABILITIES;
  }

  /** postgres:// and postgresql:// URLs, and libpq keyword strings (`host=… dbname=…`, `service=…`). */
  override accepts(location: string): boolean {
    return isPostgresLocation(location);
  }

  override describe(location: string): string {
    return redactUrl(location);
  }

  override async probe(location: string, options: OpenOptions = {}): Promise<PostgresProbeResult> {
    try {
      const { pool, settings, serverVersion, latencyMs } = await connectPool(location, options);
      await pool.end();
      return { reachable: true, latencyMs, serverVersion: versionText(serverVersion), tls: settings.tls };
    } catch (error) {
      return { reachable: false, error: error instanceof HesapError ? error : new HesapError('INTERNAL', String(error), { cause: error }) };
    }
  }

  override async openSource(location: string, options: OpenOptions = {}): Promise<PostgresSource> {
    const { pool, settings, serverVersion } = await connectPool(location, options);
    try {
      const { host, port, database } = settings.location;
      const server = { version: versionText(serverVersion), tls: settings.tls, host: port === 5432 ? host : `${host.includes(':') ? `[${host}]` : host}:${port}`, database };
      return await PostgresSource.open(pool, settings.location.schema, server, options.policies?.epochDates);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  override async openTarget(location: string, options: OpenOptions = {}): Promise<PostgresTarget> {
    const { pool, settings } = await connectPool(location, options);
    return new PostgresTarget(pool, { schema: settings.location.schema, lockTimeoutSeconds: options.lockTimeoutSeconds, idleTimeoutSeconds: options.idleTimeoutSeconds });
  }
}

/** The shared instance. */
export const postgresAdapter = new PostgresAdapter();
