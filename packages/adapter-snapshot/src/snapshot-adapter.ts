import * as path from 'node:path';
import { AdapterBase, DEFAULT_CAPABILITIES, type AdapterCapabilities, type OpenOptions } from '@hesap/core';
import { readManifest, type SnapshotLimits } from './snapshot-manifest';
import { SnapshotSource } from './snapshot-source';
import { SnapshotTarget, type SnapshotTargetOptions } from './snapshot-target';

export interface SnapshotOpenOptions extends OpenOptions, SnapshotLimits, SnapshotTargetOptions {}

/** The folder a `snapshot:<dir>` location names (`snapshot:///abs/dir` works too). */
export function snapshotPath(location: string): string {
  const m = /^snapshot:(?:\/\/(?=\/))?(.*)$/i.exec(location);
  return m ? m[1]! : location;
}

const CAPABILITIES: AdapterCapabilities = Object.freeze({
  ...DEFAULT_CAPABILITIES,
  source: true,
  target: true,
  consistentRead: true,
  atomicLoad: true,
  textAllowsNul: true,
  keepsSchema: true,
});

/**
 * Snapshots as a hesap source and target (`snapshot:<dir>`): writing one is a copy into
 * a new folder, restoring one is a copy out of it, through the same transfer engine as
 * push and pull.
 *
 * @example
 * await copy({ from: 'app.db', to: 'snapshot:.hesap/snapshots/before-migration' });
 * await copy({ from: 'snapshot:.hesap/snapshots/before-migration', to: 'restored.db', mode: 'replace' });
 */
export class SnapshotAdapter extends AdapterBase {
  readonly name = 'snapshot';
  readonly schemes = ['snapshot'] as const;

  override get capabilities(): AdapterCapabilities {
    return CAPABILITIES;
  }

  override describe(location: string): string {
    return `snapshot:${snapshotPath(location)}`;
  }

  /** Checks the manifest and that every data file is there; the data is checked as it is read. */
  override async openSource(location: string, options: SnapshotOpenOptions = {}): Promise<SnapshotSource> {
    const dir = path.resolve(snapshotPath(location));
    return new SnapshotSource(dir, readManifest(dir), { maxTableBytes: options.maxTableBytes });
  }

  override async openTarget(location: string, options: SnapshotOpenOptions = {}): Promise<SnapshotTarget> {
    return new SnapshotTarget(path.resolve(snapshotPath(location)), {
      source: options.source,
      compressionLevel: options.compressionLevel,
      hesapVersion: options.hesapVersion,
    });
  }
}

/** The shared instance. */
export const snapshotAdapter = new SnapshotAdapter();
