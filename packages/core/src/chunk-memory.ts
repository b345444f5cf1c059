import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Freeing the memory of chunks that have gone by.
 *
 * Rows move as chunks of about 64 KiB, and each chunk's bytes live outside the JavaScript
 * heap (a better-sqlite3 BLOB, a socket read, a zlib output). V8 gives that memory back
 * only when a collection finds the chunk's small JavaScript object dead, and it collects
 * the young generation when that fills with JavaScript objects, not with the chunks' bytes:
 * a stream of chunks makes little JavaScript garbage, so dead chunks pile up until V8's
 * external-memory limit (tens of MB above the last collection) forces a full one. Measured
 * on the benchmark database (466 MB of CSV; `/usr/bin/time` peak RSS): `hesap db push`
 * 129-131 MB with the pile, 88 MB with a young-generation collection every MiB of chunks;
 * `snapshot create --from local` 131 -> 105 MB; `snapshot restore --to local` 150 -> 139 MB
 * (149 with a collection every 4 MiB). About 550 collections in a push took 0.14 s of CPU
 * in all, and the process's CPU time did not grow (7.4-7.6 s).
 *
 * The collection is V8's `gc({ type: 'minor' })`, a scavenge of the young generation only
 * (a quarter of a millisecond here: it copies the few live young objects). Node exposes it
 * when the flag is set; set at run time, the flag gives new contexts a `gc` function. Where
 * that is not to be had, `chunksPassed` does nothing and memory behaves as before.
 */

/** Chunk bytes between two collections. */
export const CHUNK_COLLECT_BYTES = 1024 * 1024;

type Collect = () => void;

let collect: Collect | null | undefined;
let pending = 0;

function collector(): Collect | null {
  if (collect !== undefined) return collect;
  collect = null;
  try {
    let gc = (globalThis as { gc?: unknown }).gc;
    if (typeof gc !== 'function') {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc');
    }
    if (typeof gc === 'function') {
      const run = gc as (options: { type: 'minor' | 'major' }) => void;
      collect = () => run({ type: 'minor' });
    }
  } catch {
    // not to be had: nothing is collected early
  }
  return collect;
}

/**
 * Counts chunk bytes that went by (the caller may still hold the latest chunk); every
 * CHUNK_COLLECT_BYTES a young-generation collection frees the ones nobody holds any more.
 * For the paths that move a table's rows (the engine's pipe, checksum streams).
 */
export function chunksPassed(bytes: number): void {
  pending += bytes;
  if (pending < CHUNK_COLLECT_BYTES) return;
  pending = 0;
  collector()?.();
}

/** Whether early collection is available in this process (false: `chunksPassed` is a no-op). */
export function chunkCollectionAvailable(): boolean {
  return collector() !== null;
}
