import * as path from 'node:path';
import { HesapError, type ProgressEvent } from '@hesap/core';
import {
  buildLoadDatabase,
  createProxiedTestDatabase,
  fileSha256,
  hesapSessions,
  hesapTempFiles,
  pgFingerprint,
  rowsAndDistinctIds,
  settle,
  tempDir,
  waitFor,
  writeOldLocalFile,
  type ProxiedTestDatabase,
  type TcpProxy,
  type TestDatabase,
} from '@hesap/test-support';
import { pull, push, verify } from '@hesap/api';

/**
 * A connection that stops carrying bytes after connecting, without closing (a proxy in the
 * test stops relaying): the idle timeout must end the wait, nothing may be half-written, and
 * a retry on a new connection must be able to finish the work.
 */

describe('a connection that stalls after connecting', () => {
  const tmp = tempDir('hesap-stall');
  let db: ProxiedTestDatabase;
  let pg: TestDatabase;
  let proxy: TcpProxy;
  /** The test database, reached through the proxy. */
  let remote: string;
  const big = path.join(tmp.dir, 'big.db');
  const small = path.join(tmp.dir, 'small.db');
  let rows: { parents: number; children: number };
  /** The idle timeout given to hesap, and how long after a stall the test frees a hesap that did not give up. */
  const IDLE_S = 2;
  // The idle timeout, plus the 5 s hesap gives a ROLLBACK on a dead connection, plus slack.
  const GIVE_UP_MS = IDLE_S * 1000 + 5000 + 2000;

  beforeAll(async () => {
    db = await createProxiedTestDatabase('stall');
    ({ pg, proxy, remote } = db);
    rows = buildLoadDatabase(big, { parents: 20_000, childrenPerParent: 4 });
    buildLoadDatabase(small, { parents: 5, childrenPerParent: 1 });
  });
  afterEach(() => {
    // Let the stalled sessions go: the server then rolls back what they had begun.
    proxy.disarm();
    proxy.cutAll();
  });
  afterAll(async () => {
    await db.drop();
    tmp.cleanup();
  });

  /**
   * Runs `work`, stalling every connection once: when `table` starts moving rows (a string),
   * or when the client sends a chunk `when` likes. If hesap has not given up `giveUpMs` after
   * the stall, the connections are cut to free it, so the test ends either way; `rescued`
   * says so.
   */
  async function stalled(when: string | ((chunk: Buffer) => boolean), work: (onProgress: (e: ProgressEvent) => void) => Promise<unknown>, giveUpMs = GIVE_UP_MS) {
    let at = 0;
    let rescued = false;
    const onProgress = (e: ProgressEvent) => {
      if (typeof when === 'string' && e.table === when && e.phase === 'rows' && !at) {
        at = Date.now();
        proxy.stallAll();
      }
    };
    if (typeof when !== 'string') void proxy.stallWhen(when).then(() => (at = Date.now()));
    const rescue = setInterval(() => {
      if (at && !rescued && Date.now() - at > giveUpMs) {
        rescued = true;
        proxy.cutAll();
      }
    }, 100);
    const result = await settle<HesapError>(work(onProgress));
    clearInterval(rescue);
    proxy.disarm();
    return { ...result, stalled: at > 0, rescued, msAfterStall: at ? Date.now() - at : 0 };
  }

  it('push stalled mid-COPY with one attempt: CONNECTION_TIMEOUT naming the table after --idle-timeout, and the remote keeps its old content', async () => {
    await push({ local: small, remote: pg.url, mode: 'replace' });
    const before = await pgFingerprint(pg);
    const r = await stalled('children', (onProgress) =>
      push({ local: big, remote, mode: 'replace', attempts: 1, idleTimeoutSeconds: IDLE_S, progressIntervalMs: 0, onProgress }),
    );
    expect(r).toMatchObject({ stalled: true, rescued: false });
    expect(r.error).toBeInstanceOf(HesapError);
    expect(r.error).toMatchObject({ code: 'CONNECTION_TIMEOUT', table: 'children', retriable: true });
    expect(r.error!.message).toMatch(/No data moved for 2 s/);
    expect(r.error!.hints.join(' ')).toMatch(/`idleTimeoutSeconds`/);
    expect(r.msAfterStall).toBeGreaterThanOrEqual(IDLE_S * 1000 - 100);
    proxy.cutAll();
    expect(await pgFingerprint(pg)).toEqual(before);
    await waitFor(async () => (await hesapSessions(pg)).length === 0, { what: 'the stalled session to end' });
  });

  // After a stall the server does not know the client gave up: the stalled attempt's session
  // stayed "idle in transaction" (in life until TCP keepalive gives up, two hours by default on
  // Linux) holding its locks, and the retry failed with LOCK_TIMEOUT. hesap now ends that
  // session (pg_terminate_backend on its own backend) when its ROLLBACK does not come back.
  it('push stalled mid-COPY with retries: the next attempt (a new connection) completes it, every row once', async () => {
    // The stall, the rollback wait, a backoff and the retry's lock wait fit in 16 s.
    const r = await stalled(
      'children',
      (onProgress) => push({ local: big, remote, mode: 'replace', idleTimeoutSeconds: IDLE_S, lockTimeoutSeconds: 2, progressIntervalMs: 0, onProgress }),
      16_000,
    );
    expect(r).toMatchObject({ stalled: true, rescued: false });
    expect(r.error?.message).toBeUndefined();
    proxy.cutAll();
    expect(await rowsAndDistinctIds(pg, 'children')).toEqual({ rows: rows.children, ids: rows.children });
    expect((await verify({ local: big, remote: pg.url })).same).toBe(true);
  });

  it('pull stalled mid-COPY: whatever happens, the old file stays byte for byte and no temporary file is left', async () => {
    await push({ local: big, remote: pg.url, mode: 'replace' });
    const file = path.join(tmp.dir, 'backup.db');
    const sha = writeOldLocalFile(file);
    const r = await stalled('children', (onProgress) => pull({ local: file, remote, attempts: 1, idleTimeoutSeconds: IDLE_S, progressIntervalMs: 0, onProgress }));
    expect(r.stalled).toBe(true);
    expect(r.error).toBeInstanceOf(HesapError);
    expect(fileSha256(file)).toBe(sha);
    expect(hesapTempFiles(tmp.dir)).toEqual([]);
  });

  it('pull stalled mid-COPY gives up with CONNECTION_TIMEOUT within the idle timeout, and with retries completes', async () => {
    await push({ local: big, remote: pg.url, mode: 'replace' });
    const file = path.join(tmp.dir, 'backup2.db');
    const r = await stalled('children', (onProgress) => pull({ local: file, remote, attempts: 1, idleTimeoutSeconds: IDLE_S, progressIntervalMs: 0, onProgress }));
    expect(r).toMatchObject({ stalled: true, rescued: false });
    expect(r.error).toMatchObject({ code: 'CONNECTION_TIMEOUT', table: 'children' });
    const again = await stalled('children', (onProgress) => pull({ local: file, remote, idleTimeoutSeconds: IDLE_S, progressIntervalMs: 0, onProgress }));
    expect(again).toMatchObject({ stalled: true, rescued: false });
    expect(again.error).toBeUndefined();
    expect(hesapTempFiles(tmp.dir)).toEqual([]);
    expect((await verify({ local: file, remote: pg.url })).same).toBe(true);
  });

  // The idle timeout once watched only the rows of a table while they streamed: a connection
  // that stalled while hesap read the schema, or at the COMMIT, waited for ever (TCP keepalive
  // does not fire while the peer, here a proxy and in life a NAT, still acknowledges).
  it('a connection that stalls while the target schema is read fails with CONNECTION_TIMEOUT within the idle timeout', async () => {
    const before = await pgFingerprint(pg);
    const r = await stalled(
      (chunk) => chunk.includes('pg_class'),
      () => push({ local: big, remote, mode: 'replace', attempts: 1, idleTimeoutSeconds: IDLE_S }),
    );
    expect(r.stalled).toBe(true);
    proxy.cutAll();
    expect(await pgFingerprint(pg)).toEqual(before);
    expect(r).toMatchObject({ rescued: false, error: { code: 'CONNECTION_TIMEOUT' } });
  });

  it('a connection that stalls at the COMMIT fails with COMMIT_UNKNOWN within the idle timeout, and the remote is all or nothing', async () => {
    await push({ local: small, remote: pg.url, mode: 'replace' });
    const before = await pgFingerprint(pg);
    const r = await stalled(
      (chunk) => chunk.includes('COMMIT'),
      () => push({ local: big, remote, mode: 'replace', attempts: 1, idleTimeoutSeconds: IDLE_S }),
    );
    expect(r.stalled).toBe(true);
    proxy.cutAll();
    // The proxy held the COMMIT back, so the server never got it.
    expect(await pgFingerprint(pg)).toEqual(before);
    expect(r).toMatchObject({ rescued: false, error: { code: 'COMMIT_UNKNOWN' } });
  });
});
