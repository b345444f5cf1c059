import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { buildLoadDatabase, fileSha256, hesapTempFiles, settle, startSilentServer, tempDir } from '@hesap/test-support';
import { pull, push, status } from '@hesap/api';

/**
 * A server that accepts TCP connections and never answers (a hung server, a firewall that
 * drops packets): the connect timeout must end the wait with a clear CONNECTION_TIMEOUT.
 */

describe('a server that accepts connections and never answers', () => {
  it('push and pull give up after --connect-timeout with CONNECTION_TIMEOUT, naming host and port and the flag', async () => {
    const silent = await startSilentServer();
    const tmp = tempDir('hesap-silent');
    try {
      const remote = silent.url('postgresql://hesap:secret@127.0.0.1:5432/app');
      const local = path.join(tmp.dir, 'app.db');
      buildLoadDatabase(local, { parents: 10 });
      const sha = fileSha256(local);
      for (const run of [
        () => push({ local, remote, connectTimeoutSeconds: 1, attempts: 1 }),
        () => pull({ local, remote, connectTimeoutSeconds: 1, attempts: 1 }),
      ]) {
        const { error, ms } = await settle<HesapError>(run());
        expect(error).toBeInstanceOf(HesapError);
        expect(error).toMatchObject({ code: 'CONNECTION_TIMEOUT', retriable: true });
        expect(error!.message).toContain(`127.0.0.1:${silent.port}`);
        expect(error!.message).toMatch(/connect timeout/);
        expect(error!.hints.join(' ')).toMatch(/--connect-timeout/);
        expect(ms).toBeGreaterThanOrEqual(900);
        expect(ms).toBeLessThan(5000);
      }
      expect(fileSha256(local)).toBe(sha);
      expect(hesapTempFiles(tmp.dir)).toEqual([]);
      // status reports it instead of throwing.
      const s = await status({ local, remote, connectTimeoutSeconds: 1 });
      expect(s.remote).toMatchObject({ configured: true, reachable: false, error: { code: 'CONNECTION_TIMEOUT' } });
    } finally {
      await silent.close();
      tmp.cleanup();
    }
  });

  it('with the default retries the wait is bounded: each attempt times out, then the last error says how often it tried', async () => {
    const silent = await startSilentServer();
    const tmp = tempDir('hesap-silent');
    try {
      const local = path.join(tmp.dir, 'app.db');
      buildLoadDatabase(local, { parents: 10 });
      const logs: string[] = [];
      const { error, ms } = await settle<HesapError>(push({ local, remote: silent.url('postgresql://u@127.0.0.1/db'), connectTimeoutSeconds: 1, log: (_l, m) => logs.push(m) }));
      expect(error).toMatchObject({ code: 'CONNECTION_TIMEOUT' });
      expect(silent.accepted()).toBe(4);
      expect(error!.hints.join(' ')).toMatch(/Tried 4 times/);
      expect(logs.filter((l) => /^Attempt \d failed \(CONNECTION_TIMEOUT/.test(l))).toHaveLength(3);
      // 4 timeouts of 1 s and backoff of about 0.5 + 1 + 2 s.
      expect(ms).toBeGreaterThan(4000);
      expect(ms).toBeLessThan(15_000);
    } finally {
      await silent.close();
      tmp.cleanup();
    }
  });
});

