import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  buildLoadDatabase,
  expectNoSecretLeak,
  hesapSessions,
  runHesap,
  spawnHesap,
  startPasswordServer,
  startTcpProxy,
  SECRET_PASSWORD,
  tempDir,
  waitFor,
  type PasswordServer,
} from '@hesap/test-support';

/**
 * The password never shows in what the CLI writes (stdout, stderr, --json, --log-file, at
 * --log-level debug) when a push is interrupted by SIGINT, or loses its connection in the
 * middle and is retried. The server checks passwords and takes only TLS.
 */

describe('the password never appears: interrupted and retried pushes', () => {
  const tmp = tempDir('hesap-secret-faults');
  let pw: PasswordServer;
  const big = path.join(tmp.dir, 'big.db');
  const check = (c: Parameters<typeof expectNoSecretLeak>[0]) => expectNoSecretLeak(c, [SECRET_PASSWORD], tmp.dir);
  const push = (file: string, remote = pw.remote) => ['db', 'push', '--local', file, '--remote', remote, '--mode', 'replace', '--yes'];

  beforeAll(async () => {
    pw = await startPasswordServer(tmp.dir);
    buildLoadDatabase(big, { parents: 20_000, childrenPerParent: 4 });
  }, 120_000);
  afterAll(async () => {
    await pw?.stop();
    tmp.cleanup();
  });

  it('interrupted by SIGINT in the middle of the push', async () => {
    await check({
      name: 'interrupted',
      code: 'INTERRUPTED',
      run: async (extra) => {
        const p = spawnHesap([...push(big), ...extra]);
        await waitFor(async () => (await hesapSessions(pw.db)).some((s) => /^COPY /.test(s.query)) || p.child.exitCode !== null, { timeoutMs: 30_000, intervalMs: 20 });
        p.child.kill('SIGINT');
        return p.done;
      },
    });
  });

  it('a connection lost in the middle of the push, logged and retried', async () => {
    const proxy = await startTcpProxy(pw.server.url);
    try {
      const through = new URL(pw.remote);
      through.port = String(proxy.port);
      await check({
        name: 'lost and retried',
        code: 'OK',
        run: async (extra) => {
          void proxy.cutAfter(300_000);
          const run = await runHesap([...push(big, through.toString()), ...extra]);
          proxy.disarm();
          // The retry was logged (warn): the message of the lost connection is where a leak would be.
          expect(run.stderr + (extra.includes('--log-file') ? fs.readFileSync(extra[extra.length - 1]!, 'utf8') : '')).toMatch(/Attempt 1 failed/);
          return run;
        },
      });
    } finally {
      await proxy.close();
    }
  });
});
