import { ContentChecksum } from './checksum';
import { checksumCsv } from './checksum-stream';
import type { CsvChecksumResult } from './csv-checksummer';
import { parseCsv, type CsvRow } from './csv/csv-parser';
import type { NeutralType } from './schema';

function byStrings(rows: readonly CsvRow[], types: readonly NeutralType[]): CsvChecksumResult {
  const sum = new ContentChecksum(types);
  for (const r of rows) sum.add(r);
  return { rows: sum.rows, digest: sum.digest() };
}

describe('checksumCsv', () => {
  const rowsOf = (n: number): string => Array.from({ length: n }, (_, i) => `${i},"name ${i} ""q""",${(i / 4).toFixed(2)}\n`).join('');
  const types: NeutralType[] = ['integer', 'text', 'decimal'];

  /** Chunks of changing sizes (small, 64 KiB, bigger), as gunzip, SQLite and COPY hand them out. */
  async function run(csv: Buffer, how: 'thread' | 'inline'): Promise<CsvChecksumResult & { threaded: boolean }> {
    const job = checksumCsv({ types, run: how });
    const sizes = [16384, 65536, 1000, 200_000, 7];
    for (let at = 0, k = 0; at < csv.length; k++) {
      const size = sizes[k % sizes.length]!;
      if (!job.write(csv.subarray(at, at + size))) await job.drained();
      at += size;
    }
    return { ...(await job.end()), threaded: job.threaded };
  }

  it('gives the same result on the checksum thread as inline', async () => {
    const csv = Buffer.from(rowsOf(120_000));
    const [thread, inline] = await Promise.all([run(csv, 'thread'), run(csv, 'inline')]);
    expect(thread.threaded).toBe(true);
    expect(inline.threaded).toBe(false);
    expect({ ...thread, threaded: 0 }).toEqual({ ...inline, threaded: 0 });
    expect(thread.rows).toBe(120_000);
    expect(thread).toMatchObject(byStrings(parseCsv(csv), types));
  });

  it('reports a bad row from the thread with its row number, and goes on serving other tables', async () => {
    const csv = Buffer.from(rowsOf(1000) + '5,"x"\n' + rowsOf(10));
    await expect(run(csv, 'thread')).rejects.toMatchObject({ kind: 'fields', row: 1001, fields: 2 });
    await expect(run(Buffer.from(rowsOf(10)), 'thread')).resolves.toMatchObject({ rows: 10 });
  });

  it('takes a value of megabytes in a number-typed column (made into one string) on the thread too', async () => {
    const huge = '0'.repeat(6_000_000) + '1.50';
    const csv = Buffer.from(`1,"x",${huge}\n2,"y",\n`);
    const [thread, inline] = await Promise.all([run(csv, 'thread'), run(csv, 'inline')]);
    expect({ ...thread, threaded: 0 }).toEqual({ ...inline, threaded: 0 });
    expect(thread).toMatchObject(byStrings([['1', 'x', '1.5'], ['2', 'y', null]], types));
  });

  it('chooses the thread by the expected size', () => {
    const small = checksumCsv({ types, expectedBytes: 1000 });
    const big = checksumCsv({ types, expectedRows: 1_000_000 });
    expect([small.threaded, big.threaded]).toEqual([false, true]);
    small.abort();
    big.abort();
  });
});
