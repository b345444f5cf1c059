import { HesapError, type HesapErrorOptions } from '@hesap/core';

/**
 * A snapshot that cannot be trusted: a damaged or edited file, a manifest that does not
 * match its files, or a hostile one (paths out of the folder, symlinks, gzip bombs). It
 * names the file, so the user knows which one is bad.
 */
export class SnapshotInvalidError extends HesapError {
  /** The file inside the snapshot folder that failed its check (`manifest.json`, `0002-orders.csv.gz`). */
  readonly file: string;

  constructor(file: string, message: string, options: Omit<HesapErrorOptions, 'hints'> & { hints?: string[] } = {}) {
    super('SNAPSHOT_INVALID', message, {
      ...options,
      hints: options.hints ?? ['Nothing was written. Use another snapshot (`hesap db snapshot list`), or take a new one.'],
    });
    this.name = 'SnapshotInvalidError';
    this.file = file;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), file: this.file };
  }
}
