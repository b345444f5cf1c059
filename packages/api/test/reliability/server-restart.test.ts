import * as path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@hesap/embedded-pg';
import type { ProgressEvent } from '@hesap/core';
import {
  buildLoadDatabase,
  createDatabaseOn,
  openSqlite,
  pgFingerprint,
  rowsAndDistinctIds,
  stopPostgresNow,
  tempDir,
  type TestDatabase,
} from '@hesap/test-support';
import { push, verify, type PushOptions, type PushResult } from '@hesap/api';

/**
 * The PostgreSQL server restarts while a push is in the middle of a table (a dedicated
 * embedded server, stopped at once by a signal to its postmaster and started again on the
 * same port and data; the shared test server is never touched). The push must get through by
 * its retries, every row exactly once, and never leave half a push behind.
 */

describe('the server restarting during a push', () => {
  const tmp = tempDir('hesap-restart');
  let server: EmbeddedPostgres;
  let pg: TestDatabase;
  const big = path.join(tmp.dir, 'big.db');
  let rows: { parents: number; children: number };

  beforeAll(async () => {
    server = await startEmbeddedPostgres();
    pg = await createDatabaseOn(server.url, 'restart');
    rows = buildLoadDatabase(big, { parents: 20_000, childrenPerParent: 4 });
  }, 120_000);
  afterAll(async () => {
    server?.stop();
    await server?.stopped;
    tmp.cleanup();
  });

  /**
   * A push during which the server restarts once, when `table` is moving rows: stopped at
   * once (synchronously, so mid-COPY however fast the machine), down for `downMs`, then
   * started again. The push must get through by its retries: connection lost, then possibly
   * refused while the server comes back.
   */
  async function pushThroughRestart(options: PushOptions, table: string, mode: 'fast' | 'immediate', downMs: number) {
    const before = await pgFingerprint(pg);
    let restart: Promise<void> | undefined;
    const logs: string[] = [];
    const onProgress = (e: ProgressEvent) => {
      if (e.table === table && e.phase === 'rows' && !restart) {
        stopPostgresNow(server.pid(), mode);
        restart = new Promise((r) => setTimeout(r, downMs)).then(() => server.startServer());
      }
    };
    let result: PushResult;
    try {
      result = await push({ ...options, progressIntervalMs: 0, onProgress, log: (_l, m) => logs.push(m) });
    } catch (error) {
      await restart;
      // Whatever failed, the remote is exactly as it was before.
      expect(await pgFingerprint(pg)).toEqual(before);
      throw error;
    }
    await restart;
    expect(restart).toBeDefined();
    expect(result.retries.length).toBeGreaterThanOrEqual(1);
    expect(result.retries[0]!.code).toBe('CONNECTION_LOST');
    for (const r of result.retries) expect(['CONNECTION_LOST', 'CONNECTION_REFUSED']).toContain(r.code);
    expect(logs.filter((l) => /^Attempt \d failed/.test(l))).toHaveLength(result.retries.length);
    return result;
  }

  it.each([
    ['a fast shutdown (sessions ended with 57P01), down for 1 s', 'fast' as const, 1000],
    ['a crash (immediate shutdown, recovery on start), down for 300 ms', 'immediate' as const, 300],
  ])('%s: the push is retried and holds every row exactly once', async (_what, mode, downMs) => {
    const result = await pushThroughRestart({ local: big, remote: pg.url, mode: 'replace' }, 'children', mode, downMs);
    expect(result.tables.map((t) => [t.table, t.inserted])).toEqual([
      ['parents', rows.parents],
      ['children', rows.children],
    ]);
    expect(await rowsAndDistinctIds(pg, 'parents')).toEqual({ rows: rows.parents, ids: rows.parents });
    expect(await rowsAndDistinctIds(pg, 'children')).toEqual({ rows: rows.children, ids: rows.children });
    expect((await verify({ local: big, remote: pg.url })).same).toBe(true);
  });

  /**
   * A database already pushed (1 000 parents, 2 000 children), then given rows locally since,
   * and a big new table that loads last (after the merges): a restart while it streams comes
   * after the first attempt had merged the others already.
   */
  async function mediumDatabase() {
    const medium = path.join(tmp.dir, 'medium.db');
    const few = buildLoadDatabase(medium, { parents: 1000, childrenPerParent: 2 });
    await pg.query('DROP TABLE IF EXISTS zz_events');
    await push({ local: medium, remote: pg.url, mode: 'replace' });
    const db = openSqlite(medium);
    db.exec(`INSERT INTO parents (id, name, score) VALUES (1001, 'new parent', 1);
             INSERT INTO children (id, parent_id, note, amount) VALUES (2001, 1001, 'new child', 2), (2002, 1, 'another', 3);
             CREATE TABLE zz_events (id INTEGER PRIMARY KEY, what TEXT);
             WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 60000)
               INSERT INTO zz_events SELECT i, printf('event %d %.100c', i, 'e') FROM c;`);
    db.close();
    return { medium, few };
  }

  it('in merge mode into tables that already hold rows: the merge is redone from the start and adds no row twice', async () => {
    const { medium, few } = await mediumDatabase();
    const result = await pushThroughRestart({ local: medium, remote: pg.url }, 'zz_events', 'fast', 500);
    expect(result.tables.map((t) => [t.table, t.inserted, t.unchanged])).toEqual([
      ['parents', 1, few.parents],
      ['children', 2, few.children],
      ['zz_events', 60_000, 0],
    ]);
    expect(await rowsAndDistinctIds(pg, 'parents')).toEqual({ rows: few.parents + 1, ids: few.parents + 1 });
    expect(await rowsAndDistinctIds(pg, 'children')).toEqual({ rows: few.children + 2, ids: few.children + 2 });
    expect(await rowsAndDistinctIds(pg, 'zz_events')).toEqual({ rows: 60_000, ids: 60_000 });
    expect((await verify({ local: medium, remote: pg.url })).same).toBe(true);
  });

  // With the server stopped while a table's COPY is in flight, the client often sees the
  // socket end before the 57P01 ErrorResponse: a plain 'Connection terminated unexpectedly',
  // once reported INTERNAL and not retried (about three pushes in four failed here).
  it('every push gets through a restart by its retries alone (four in a row)', async () => {
    for (let round = 0; round < 4; round++) {
      const { medium } = await mediumDatabase();
      const result = await pushThroughRestart({ local: medium, remote: pg.url }, 'zz_events', 'fast', 300);
      expect(result.tables.find((t) => t.table === 'zz_events')!.inserted).toBe(60_000);
    }
  });

  // Merging into tables that already held the rows was once quadratic (the "remembered" step
  // joined keys as text against a staging table never analysed): 20 000 children took 64 s, so
  // these 80 000 would far outrun the test timeout. (Its speed is measured by the benchmarks.)
  it('a merge of 100 000 unchanged rows adds nothing and calls every row unchanged', async () => {
    await push({ local: big, remote: pg.url, mode: 'replace' });
    const result = await push({ local: big, remote: pg.url });
    expect(result.tables.map((t) => [t.table, t.inserted, t.unchanged])).toEqual([
      ['parents', 0, rows.parents],
      ['children', 0, rows.children],
    ]);
  });
});
