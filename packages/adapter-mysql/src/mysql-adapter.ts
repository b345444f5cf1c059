import { AdapterBase, DEFAULT_CAPABILITIES, HesapError, redactUrl, type AdapterCapabilities, type OpenOptions, type ProbeResult } from '@hesap/core';
import { connectMysql } from './mysql-connection';
import { MysqlSource } from './mysql-source';
import { MysqlTarget } from './mysql-target';

/**
 * What this adapter can do. Every member not set here keeps the safe default of
 * DEFAULT_CAPABILITIES; each claim is checked by the conformance kit.
 */
const CAPABILITIES: AdapterCapabilities = Object.freeze({
  ...DEFAULT_CAPABILITIES,
  source: true,
  target: true,
  // MySQL counts 64 characters; bytes are the contract's unit, so this is the safe side.
  maxIdentifierBytes: 64,
  consistentRead: true,
  // Rows are in one transaction; tables it creates are dropped again by abort() (DDL commits on its own in MySQL).
  atomicLoad: true,
  textAllowsNul: true,
});

/**
 * MariaDB and MySQL through mysql2: reads every table from one consistent snapshot,
 * writes in one transaction with multi-row INSERTs.
 *
 * @example
 * const source = await mysqlAdapter.openSource('mysql://root@127.0.0.1:3306/shop');
 */
export class MysqlAdapter extends AdapterBase {
  readonly name = 'mysql';
  readonly schemes = ['mysql', 'mariadb'] as const;

  override get capabilities(): AdapterCapabilities {
    return CAPABILITIES;
  }

  override describe(location: string): string {
    return redactUrl(location);
  }

  override async probe(location: string, options: OpenOptions = {}): Promise<ProbeResult> {
    try {
      const { connection, serverVersion, latencyMs } = await connectMysql(location, options);
      await connection.end().catch(() => connection.destroy());
      return { reachable: true, latencyMs, serverVersion };
    } catch (error) {
      return { reachable: false, error: error instanceof HesapError ? error : new HesapError('INTERNAL', String(error), { cause: error }) };
    }
  }

  override async openSource(location: string, options: OpenOptions = {}): Promise<MysqlSource> {
    return MysqlSource.open(location, options);
  }

  override async openTarget(location: string, options: OpenOptions = {}): Promise<MysqlTarget> {
    return MysqlTarget.open(location, options);
  }
}

/** The shared instance; also the package's `adapter` export, which hesap.config.json plugins are loaded by. */
export const mysqlAdapter = new MysqlAdapter();
