import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { createTestDatabase, jsonOf, openSqlite, runHesap, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';

/**
 * Size with bounded memory, measured on the spawned CLI (peak resident memory, VmHWM): a
 * single 100 MB text value through push and pull, and (only with HESAP_HEAVY_TESTS=1, it
 * takes minutes) ten million rows.
 */

const MB = 1024 * 1024;
const heavy = process.env.HESAP_HEAVY_TESTS === '1';

/** md5 and length of a text value in a SQLite file, read as bytes. */
function sqliteText(file: string, sql: string): { md5: string; bytes: number; type: string } {
  const db = openSqlite(file);
  try {
    const row = db.prepare(sql).get() as { v: Buffer; t: string };
    return { md5: createHash('md5').update(row.v).digest('hex'), bytes: row.v.length, type: row.t };
  } finally {
    db.close();
  }
}

describe('big values, bounded memory', () => {
  const tmp = tempDir('hesap-big');
  let pg: TestDatabase;
  beforeAll(async () => {
    pg = await createTestDatabase('big');
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  describe('a 100 MB text value', () => {
    /**
     * What memory is reasonable: the CLI's own ~150 MB, plus five copies of the value (the
     * SQLite row, the CSV line, the chunk in Node, the socket's buffer, one spare).
     */
    const BOUND = 150 * MB + 5 * 100 * MB;
    let local: string;
    let original: ReturnType<typeof sqliteText>;
    let pushed: Awaited<ReturnType<typeof runHesap>>;

    beforeAll(async () => {
      local = writeSqlite(
        path.join(tmp.dir, 'doc.db'),
        `CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT);
         INSERT INTO doc VALUES (1, 'small');
         INSERT INTO doc VALUES (2, hex(randomblob(${50 * MB})));
         INSERT INTO doc VALUES (3, 'after');`,
      );
      original = sqliteText(local, 'SELECT CAST(body AS BLOB) AS v, typeof(body) AS t FROM doc WHERE id = 2');
      pushed = await runHesap(['db', 'push', '--local', local, '--remote', pg.url, '--json'], { measureMemory: true });
    }, 120_000);

    it('goes through push and pull intact; the pull stays within five copies of the value', async () => {
      expect(original.bytes).toBe(100 * MB);
      expect({ code: pushed.code, stderr: pushed.stderr }).toEqual({ code: 0, stderr: '' });
      expect(jsonOf(pushed).tables[0]).toMatchObject({ table: 'doc', inserted: 3 });
      const [remote] = await pg.query<{ n: string; md5: string }>('SELECT octet_length(body)::text AS n, md5(body) AS md5 FROM doc WHERE id = 2');
      expect(remote).toEqual({ n: String(100 * MB), md5: original.md5 });

      const back = path.join(tmp.dir, 'doc-back.db');
      const pulled = await runHesap(['db', 'pull', '--local', back, '--remote', pg.url, '--json'], { measureMemory: true });
      expect({ code: pulled.code, stderr: pulled.stderr }).toEqual({ code: 0, stderr: '' });
      expect(sqliteText(back, 'SELECT CAST(body AS BLOB) AS v, typeof(body) AS t FROM doc WHERE id = 2')).toEqual(original);
      process.stderr.write(`100 MB value: push ${pushed.durationMs} ms, peak ${Math.round(pushed.maxRssKb! / 1024)} MB; pull ${pulled.durationMs} ms, peak ${Math.round(pulled.maxRssKb! / 1024)} MB\n`);
      expect(pulled.maxRssKb! * 1024).toBeLessThan(BOUND);
    });

    // DEFECT (adapter-sqlite reader / core engine): the push of one 100 MB text value peaks at
    // about 900 MB of resident memory (VmHWM of the CLI); 10 MB gives 160 MB and 40 MB 430 MB:
    // about 8.5 copies of the largest value (the profile query's aggregates over it, the
    // batch's group_concat, the CAST to BLOB, the Buffer in Node, the COPY chunks). A 500 MB
    // value would need 4.5 GB. Pull stays near 4 copies.
    it.failing('its push stays within five copies of the value', () => {
      expect(pushed.maxRssKb).toBeGreaterThan(0);
      expect(pushed.maxRssKb! * 1024).toBeLessThan(BOUND);
    });
  });

  (heavy ? it : it.skip)(
    'ten million rows (HESAP_HEAVY_TESTS=1): push and pull with memory that does not grow with the rows',
    async () => {
      const rows = 10_000_000;
      const local = writeSqlite(
        path.join(tmp.dir, 'ten-million.db'),
        `CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount REAL, at DATETIME);
         WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${rows})
         INSERT INTO events SELECT i, 'kind ' || (i % 17), i * 0.5, datetime(1700000000 + i, 'unixepoch') FROM c;`,
      );
      const pushed = await runHesap(['db', 'push', '--local', local, '--remote', pg.url, '--json'], { measureMemory: true, timeoutMs: 1_800_000 });
      expect({ code: pushed.code, stderr: pushed.stderr }).toEqual({ code: 0, stderr: '' });
      const [remote] = await pg.query<{ n: string; s: string }>('SELECT count(*)::text AS n, sum(id)::text AS s FROM events');
      expect(remote).toEqual({ n: String(rows), s: String((BigInt(rows) * BigInt(rows + 1)) / 2n) });
      const back = path.join(tmp.dir, 'ten-million-back.db');
      const pulled = await runHesap(['db', 'pull', '--local', back, '--remote', pg.url, '--json'], { measureMemory: true, timeoutMs: 1_800_000 });
      expect({ code: pulled.code, stderr: pulled.stderr }).toEqual({ code: 0, stderr: '' });
      const db = openSqlite(back);
      expect(db.prepare('SELECT count(*) AS n, sum(id) AS s, typeof(amount) AS t FROM events').get()).toEqual({ n: rows, s: (rows * (rows + 1)) / 2, t: 'real' });
      db.close();
      const verified = await runHesap(['db', 'verify', '--local', local, '--remote', pg.url, '--json'], { measureMemory: true, timeoutMs: 1_800_000 });
      expect(jsonOf(verified).same).toBe(true);
      process.stderr.write(
        `10M rows: push ${pushed.durationMs} ms / ${Math.round(pushed.maxRssKb! / 1024)} MB, pull ${pulled.durationMs} ms / ${Math.round(pulled.maxRssKb! / 1024)} MB, verify ${verified.durationMs} ms / ${Math.round(verified.maxRssKb! / 1024)} MB\n`,
      );
      for (const run of [pushed, pulled, verified]) expect(run.maxRssKb! * 1024).toBeLessThan(400 * MB);
    },
    3_600_000,
  );
});
