import type { CsvChecksummer, CsvChecksumResult } from './csv-checksummer';

/** One table's checksum in progress. */
export interface CsvChecksumJob {
  /** Whether the rows are checksummed on the helper thread. */
  readonly threaded: boolean;
  /** Rows checksummed so far (on the helper: as of its last reply), for progress. */
  readonly rows: number;
  /** Hands on a chunk (the caller may reuse it afterwards). False: wait for `drained()` before the next. */
  write(chunk: Uint8Array): boolean;
  /** Resolves once fewer chunks are in flight (at once inline). */
  drained(): Promise<void>;
  /** The result once every chunk is checksummed; rejects with `CsvChecksumFailure` (or a helper's failure). */
  end(): Promise<CsvChecksumResult>;
  /** Drops the job (a failed or aborted stream). */
  abort(): void;
}

/** A job done on the calling thread, chunk by chunk as it is written. */
export function inlineChecksumJob(checksummer: CsvChecksummer): CsvChecksumJob {
  let failure: unknown;
  return {
    threaded: false,
    get rows() {
      return checksummer.rows;
    },
    write(chunk) {
      if (failure === undefined) {
        try {
          checksummer.write(chunk);
        } catch (error) {
          failure = error;
        }
      }
      return true;
    },
    drained: () => Promise.resolve(),
    end: async () => {
      if (failure !== undefined) throw failure;
      return checksummer.end();
    },
    abort: () => undefined,
  };
}
