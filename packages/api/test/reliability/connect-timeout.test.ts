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
        expect(error!.hints.join(' ')).toMatch(/`connectTimeoutSeconds`/);
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

  it('with the default retries the connect timeout is one budget for every attempt, not one per attempt', async () => {
    const silent = await startSilentServer();
    const tmp = tempDir('hesap-silent');
    try {
      const local = path.join(tmp.dir, 'app.db');
      buildLoadDatabase(local, { parents: 10 });
      const logs: string[] = [];
      const { error, ms } = await settle<HesapError>(push({ local, remote: silent.url('postgresql://u@127.0.0.1/db'), connectTimeoutSeconds: 2, log: (_l, m) => logs.push(m) }));
      expect(error).toMatchObject({ code: 'CONNECTION_TIMEOUT' });
      // The first attempt spent the whole budget: no second connection, no retry logged.
      expect(silent.accepted()).toBe(1);
      expect(logs.filter((l) => /^Attempt \d failed/.test(l))).toEqual([]);
      expect(ms).toBeGreaterThanOrEqual(1900);
      // Once 4 attempts of 2 s and their backoff (about 11.5 s); the margin is for a busy machine.
      expect(ms).toBeLessThan(8000);
    } finally {
      await silent.close();
      tmp.cleanup();
    }
  });

  it('a refused connection is retried within the budget, and the retries stop when it is spent', async () => {
    const silent = await startSilentServer();
    const port = silent.port;
    await silent.close(); // nothing listens on the port now: every connection is refused at once
    const tmp = tempDir('hesap-refused');
    try {
      const local = path.join(tmp.dir, 'app.db');
      buildLoadDatabase(local, { parents: 10 });
      const logs: string[] = [];
      const { error, ms } = await settle<HesapError>(
        push({ local, remote: `postgresql://u@127.0.0.1:${port}/db`, connectTimeoutSeconds: 1, attempts: 10, log: (_l, m) => logs.push(m) }),
      );
      expect(error).toMatchObject({ code: 'CONNECTION_REFUSED' });
      // Backoff 0.5 s, then 1 s: the second wait would end past the 1 s budget.
      const retried = logs.filter((l) => /^Attempt \d failed \(CONNECTION_REFUSED/.test(l)).length;
      expect(retried).toBeGreaterThanOrEqual(1);
      expect(retried).toBeLessThan(3);
      expect(error!.hints.join(' ')).toMatch(new RegExp(`Tried ${retried + 1} times`));
      // Without the budget: 10 attempts and about a minute of backoff.
      expect(ms).toBeLessThan(5000);
    } finally {
      tmp.cleanup();
    }
  });
});

