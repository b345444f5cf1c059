import * as path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@hesap/embedded-pg';
import type { ProgressEvent } from '@hesap/core';
import { buildLoadDatabase, createDatabaseOn, openSqlite, rowsAndDistinctIds, settle, tempDir, type TestDatabase } from '@hesap/test-support';
import { push, verify } from '@hesap/api';

/**
 * The PostgreSQL server restarts while a push is in the middle of a table (a dedicated
 * embedded server, stopped and started again on the same port and data; the shared test
 * server is never touched). The push must get through by its retries, every row exactly once.
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

  /** An onProgress that restarts the server once when `table` is moving rows: down for `downMs`, then up again. */
  function restartWhile(table: string, mode: 'fast' | 'immediate', downMs: number) {
    let restart: Promise<void> | undefined;
    return {
      onProgress: (e: ProgressEvent) => {
        if (e.table === table && e.phase === 'rows' && !restart) {
          restart = server
            .stopServer(mode)
            .then(() => new Promise((r) => setTimeout(r, downMs)))
            .then(() => server.startServer());
        }
      },
      restarted: () => restart,
    };
  }

  it.each([
    ['a fast shutdown (sessions ended with 57P01), down for 1 s', 'fast' as const, 1000],
    ['a crash (immediate shutdown, recovery on start), down for 300 ms', 'immediate' as const, 300],
  ])('%s: the push is retried and holds every row exactly once', async (_what, mode, downMs) => {
    const logs: string[] = [];
    const restart = restartWhile('children', mode, downMs);
    const result = await push({ local: big, remote: pg.url, mode: 'replace', progressIntervalMs: 0, onProgress: restart.onProgress, log: (_l, m) => logs.push(m) });
    await restart.restarted();
    expect(restart.restarted()).toBeDefined();
    expect(result.retries.length).toBeGreaterThanOrEqual(1);
    // Connection lost, then possibly refused or "starting up" while the server comes back.
    expect(result.retries[0]!.code).toBe('CONNECTION_LOST');
    for (const r of result.retries) expect(['CONNECTION_LOST', 'CONNECTION_REFUSED']).toContain(r.code);
    expect(logs.filter((l) => /^Attempt \d failed/.test(l))).toHaveLength(result.retries.length);
    expect(result.tables.map((t) => [t.table, t.inserted])).toEqual([
      ['parents', rows.parents],
      ['children', rows.children],
    ]);
    expect(await rowsAndDistinctIds(pg, 'parents')).toEqual({ rows: rows.parents, ids: rows.parents });
    expect(await rowsAndDistinctIds(pg, 'children')).toEqual({ rows: rows.children, ids: rows.children });
    expect((await verify({ local: big, remote: pg.url })).same).toBe(true);
  });

  it('in merge mode into tables that already hold rows: the merge is redone from the start and adds no row twice', async () => {
    const medium = path.join(tmp.dir, 'medium.db');
    const few = buildLoadDatabase(medium, { parents: 1000, childrenPerParent: 2 });
    await push({ local: medium, remote: pg.url, mode: 'replace' });
    // Rows added locally since, and a big new table that loads last (after the merges): the
    // restart comes while it streams, so the first attempt had merged the others already.
    const db = openSqlite(medium);
    db.exec(`INSERT INTO parents (id, name, score) VALUES (1001, 'new parent', 1);
             INSERT INTO children (id, parent_id, note, amount) VALUES (2001, 1001, 'new child', 2), (2002, 1, 'another', 3);
             CREATE TABLE zz_events (id INTEGER PRIMARY KEY, what TEXT);
             WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 60000)
               INSERT INTO zz_events SELECT i, printf('event %d %.100c', i, 'e') FROM c;`);
    db.close();
    const restart = restartWhile('zz_events', 'fast', 500);
    const result = await push({ local: medium, remote: pg.url, progressIntervalMs: 0, onProgress: restart.onProgress });
    await restart.restarted();
    expect(result.retries.length).toBeGreaterThanOrEqual(1);
    expect(result.retries[0]!.code).toBe('CONNECTION_LOST');
    expect(result.tables.map((t) => [t.table, t.inserted, t.unchanged])).toEqual([
      ['parents', 1, few.parents],
      ['children', 2, few.children],
      ['zz_events', 60_000, 0],
    ]);
    expect(await rowsAndDistinctIds(pg, 'parents')).toEqual({ rows: few.parents + 1, ids: few.parents + 1 });
    expect(await rowsAndDistinctIds(pg, 'children')).toEqual({ rows: few.children + 2, ids: few.children + 2 });
    expect(await rowsAndDistinctIds(pg, 'zz_events')).toEqual({ rows: 60_000, ids: 60_000 });
    expect((await verify({ local: medium, remote: pg.url })).same).toBe(true);
    await pg.query('DROP TABLE zz_events');
  });

  // DEFECT (adapter-postgres, postgres-merge.ts): merging into tables that already hold the rows
  // is quadratic. The "remembered" step, UPDATE hesap_stage_N s ... FROM _hesap.identity_map m
  // JOIN <table> t ON t.id::text = m.target_key WHERE ... m.source_key = s.id::text, compares
  // keys as text (no index on t.id can serve it) against a temporary staging table that was
  // never ANALYZEd: measured on the shared server, 2 000 children 0.8 s, 8 000 children 14 s,
  // 20 000 children 64 s. Here 20 000 parents and 80 000 children, unchanged, redone once after
  // a restart, do not finish in 20 s (a replace push of them takes about 3 s); the test then stops
  // it with the signal and a restart.
  it.failing('merge of 100 000 unchanged rows, redone after a restart, finishes within 20 s', async () => {
    await push({ local: big, remote: pg.url, mode: 'replace' });
    const abort = new AbortController();
    const restart = restartWhile('children', 'fast', 500);
    const run = settle(push({ local: big, remote: pg.url, progressIntervalMs: 0, onProgress: restart.onProgress, signal: abort.signal }));
    let rescue: Promise<void> | undefined;
    const tooSlow = setTimeout(() => {
      abort.abort(new Error('too slow'));
      // A query does not watch the signal: a restart ends it.
      rescue = (restart.restarted() ?? Promise.resolve()).then(() => server.stopServer()).then(() => server.startServer());
    }, 20_000);
    const { error, ms } = await run;
    clearTimeout(tooSlow);
    await restart.restarted();
    await rescue;
    expect(error).toBeUndefined();
    expect(ms).toBeLessThan(20_000);
    expect(await rowsAndDistinctIds(pg, 'children')).toEqual({ rows: rows.children, ids: rows.children });
  }, 60_000);
});
