import { parentPort } from 'node:worker_threads';
import { CsvChecksumFailure, CsvChecksummer } from './csv-checksummer';
import type { NeutralType } from './schema';

/** The checksum thread (see checksum-helper.ts): one `CsvChecksummer` per job, a reply per chunk. */

interface Request {
  job: number;
  types?: NeutralType[];
  version?: number;
  chunk?: Uint8Array;
  end?: boolean;
  abort?: boolean;
}

const jobs = new Map<number, CsvChecksummer>();
const port = parentPort!;

function failure(error: unknown): { message: string; kind: 'fields' | 'csv'; row: number; fields: number } {
  if (error instanceof CsvChecksumFailure) return { message: error.message, kind: error.kind, row: error.row, fields: error.fields };
  return { message: String((error as Error)?.message ?? error), kind: 'csv', row: 0, fields: 0 };
}

port.on('message', (m: Request) => {
  if (m.types) {
    jobs.set(m.job, new CsvChecksummer(m.types, m.version));
    return;
  }
  const job = jobs.get(m.job);
  if (!job) return;
  try {
    if (m.chunk) {
      job.write(m.chunk);
      const memory = m.chunk.buffer as ArrayBuffer;
      port.postMessage({ job: m.job, done: m.chunk.byteLength, rows: job.rows, memory }, [memory]);
    } else if (m.end) {
      jobs.delete(m.job);
      port.postMessage({ job: m.job, result: job.end() });
    } else if (m.abort) {
      jobs.delete(m.job);
    }
  } catch (error) {
    jobs.delete(m.job);
    port.postMessage({ job: m.job, failure: failure(error) });
  }
});
