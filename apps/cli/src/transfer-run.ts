import type { ProgressEvent } from '@hesap/core';
import { ProgressDisplay } from './progress';

/** What a long transfer gets from the command around it. */
export interface TransferHooks {
  /** Progress on stderr (a TTY only); undefined with --json. */
  onProgress?: (event: ProgressEvent) => void;
  /** Aborted by SIGINT or SIGTERM: the API rolls the target back. */
  signal: AbortSignal;
}

/**
 * Runs one transfer with the progress display and with SIGINT/SIGTERM turned into an
 * abort, and takes both down afterwards, however it ends.
 */
export async function runTransfer<T>(json: boolean, run: (hooks: TransferHooks) => Promise<T>): Promise<T> {
  const progress = new ProgressDisplay();
  const abort = new AbortController();
  const stop = (signal: string) => abort.abort(new Error(`${signal} received`));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    return await run({ onProgress: json ? undefined : progress.update, signal: abort.signal });
  } finally {
    progress.finish();
    process.off('SIGINT', stop).off('SIGTERM', stop);
  }
}
