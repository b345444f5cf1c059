import { chunksPassed } from './chunk-memory';
import { ChecksumHelper } from './checksum-helper';
import { CONTENT_CHECKSUM_VERSION } from './checksum';
import { inlineChecksumJob, type CsvChecksumJob } from './csv-checksum-job';
import { CsvChecksummer, type CsvChecksumResult } from './csv-checksummer';
import type { NeutralType } from './schema';

/**
 * The content checksum of a table's CSV as it streams past: parsed, each row's field count
 * checked, and summed (`ContentChecksum`). Parsing and hashing are most of the CPU time of
 * a snapshot, and the thread that reads or writes the rows has its own work; on a big table
 * the checksum runs on a helper thread (one per process, shared by every table), which gets
 * a copy of each chunk, so both cores work. Small tables are done inline: a thread's start
 * costs more than it saves.
 */

export interface CsvChecksumOptions {
  /** The column types, in the CSV's column order. */
  types: readonly NeutralType[];
  /** Checksum version (default: the current one). */
  version?: number;
  /** How many bytes are expected, to choose a helper thread (from 4 MiB) or inline. */
  expectedBytes?: number;
  /** How many rows are expected, when the bytes are not known (a helper thread from 50,000). */
  expectedRows?: number;
  /** `auto` (default) by `expectedBytes` and `expectedRows`; `thread` or `inline` to choose (tests). */
  run?: 'auto' | 'thread' | 'inline';
}

/** Tables expected to be at least this big are checksummed on the helper thread. */
export const THREAD_CHECKSUM_BYTES = 4 * 1024 * 1024;
/** The same in rows, for when only a row count is known. */
export const THREAD_CHECKSUM_ROWS = 50_000;

/** Starts a table's checksum: on the helper thread when the table is expected to be big (see {@link CsvChecksumOptions.run}). */
export function checksumCsv(options: CsvChecksumOptions): CsvChecksumJob {
  const version = options.version ?? CONTENT_CHECKSUM_VERSION;
  const run = options.run ?? 'auto';
  const big = (options.expectedBytes ?? 0) >= THREAD_CHECKSUM_BYTES || (options.expectedRows ?? 0) >= THREAD_CHECKSUM_ROWS;
  const threaded = run === 'thread' || (run === 'auto' && big);
  if (threaded) {
    const helper = ChecksumHelper.get();
    if (helper) return helper.start(options.types, version);
  }
  return inlineChecksumJob(new CsvChecksummer(options.types, version));
}

/** The checksum of a whole CSV stream (a table read back, or a side of `verify`). */
export async function checksumStream(stream: AsyncIterable<Buffer | Uint8Array>, options: CsvChecksumOptions): Promise<CsvChecksumResult> {
  const job = checksumCsv(options);
  try {
    for await (const chunk of stream) {
      const more = job.write(chunk);
      chunksPassed(chunk.length);
      if (!more) await job.drained();
    }
  } catch (error) {
    job.abort();
    throw error;
  }
  return job.end();
}
