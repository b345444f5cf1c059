import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { to as referenceCopyTo } from 'pg-copy-streams';
import { createTestDatabase, type TestDatabase } from '@hesap/test-support';
import { copyOut } from '../src/copy-out';

// hesap's COPY TO reader against a real server, with pg-copy-streams' reader as the reference.

let db: TestDatabase;
let client: Client;

beforeAll(async () => {
  db = await createTestDatabase('copy_out');
  client = new Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

/** Reads a stream to its end, slowly when asked (each chunk waits: backpressure on the socket). */
async function drain(stream: NodeJS.ReadableStream, slow = false): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    stream,
    new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        parts.push(Buffer.from(chunk));
        if (slow) setTimeout(done, 1);
        else done();
      },
    }),
  );
  return Buffer.concat(parts);
}

// Rows of every size: empty, short, multi-byte text, quotes and newlines, and values of 180 kB.
const ROWS_SQL = `SELECT g, CASE WHEN g % 97 = 0 THEN repeat('é"x' || chr(10), 30000) WHEN g % 5 = 0 THEN '' ELSE md5(g::text) END, g % 3 = 0
                    FROM generate_series(1, 20000) g`;

describe('copyOut', () => {
  it('reads the same bytes as pg-copy-streams, and the row count', async () => {
    const ours = copyOut(`COPY (${ROWS_SQL}) TO STDOUT (FORMAT csv)`);
    const mine = await drain(client.query(ours));
    const reference = await drain(client.query(referenceCopyTo(`COPY (${ROWS_SQL}) TO STDOUT (FORMAT csv)`)));
    expect(mine.length).toBeGreaterThan(30_000_000);
    expect(mine.equals(reference)).toBe(true);
    expect(ours.rowCount).toBe(20000);
    // The connection is the driver's again.
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('keeps every byte when the reader is slow (the socket waits)', async () => {
    const sql = `COPY (SELECT g, repeat('v', g % 200) FROM generate_series(1, 3000) g) TO STDOUT (FORMAT csv)`;
    const slow = await drain(client.query(copyOut(sql)), true);
    const reference = await drain(client.query(referenceCopyTo(sql)));
    expect(slow.equals(reference)).toBe(true);
  });

  it('a failure mid-copy is the stream error, with the server message, and the connection lives on', async () => {
    const stream = client.query(copyOut(`COPY (SELECT g, 1 / (g - 40000) FROM generate_series(1, 50000) g) TO STDOUT (FORMAT csv)`));
    const received: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => received.push(chunk));
    await expect(new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject))).rejects.toThrow(/division by zero/);
    // The rows before the failure came through whole (it may stop at any of them).
    const text = Buffer.concat(received).toString();
    expect(text.length).toBeGreaterThan(0);
    expect(text.endsWith('\n')).toBe(true);
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });

  it('an empty result ends at once', async () => {
    const stream = copyOut(`COPY (SELECT 1 WHERE false) TO STDOUT (FORMAT csv)`);
    expect((await drain(client.query(stream))).length).toBe(0);
    expect(stream.rowCount).toBe(0);
  });
});
