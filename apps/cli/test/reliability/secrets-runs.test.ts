import * as path from 'node:path';
import {
  buildLoadDatabase,
  expectNoSecretLeak,
  startPasswordServer,
  SECRET_PASSWORD,
  tempDir,
  writeSqlite,
  type PasswordServer,
} from '@hesap/test-support';

/**
 * The password never shows in what the CLI writes (stdout, stderr, --json, --log-file, at
 * --log-level debug): successful runs and data errors. The server checks passwords and takes
 * only TLS.
 */

describe('the password never appears: runs that reach the server', () => {
  const tmp = tempDir('hesap-secret-runs');
  let pw: PasswordServer;
  const local = path.join(tmp.dir, 'app.db');
  const mismatch = path.join(tmp.dir, 'mismatch.db');
  const check = (c: Parameters<typeof expectNoSecretLeak>[0]) => expectNoSecretLeak(c, [SECRET_PASSWORD], tmp.dir);
  const push = (file: string, remote = pw.remote) => ['db', 'push', '--local', file, '--remote', remote, '--mode', 'replace', '--yes'];

  beforeAll(async () => {
    pw = await startPasswordServer(tmp.dir);
    buildLoadDatabase(local, { parents: 50, childrenPerParent: 2 });
    writeSqlite(mismatch, `CREATE TABLE counts (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO counts VALUES (1, 5), (2, 'five');`);
  }, 120_000);
  afterAll(async () => {
    await pw?.stop();
    tmp.cleanup();
  });

  it('successful status, push, verify and pull', async () => {
    await check({ name: 'push', code: 'OK', args: push(local) });
    await check({ name: 'status', code: 'OK', args: ['db', 'status', '--local', local, '--remote', pw.remote] });
    await check({ name: 'verify', code: 'OK', args: ['db', 'verify', '--local', local, '--remote', pw.remote] });
    await check({ name: 'pull', code: 'OK', args: ['db', 'pull', '--local', path.join(tmp.dir, 'pulled.db'), '--remote', pw.remote, '--yes'] });
  });

  it('data errors: a missing table, a type mismatch', async () => {
    // A table on neither side is a usage error (issue 22); it still reaches the server, where both sides are read.
    await check({ name: 'table missing', code: 'USAGE', args: [...push(local), '--tables', 'nope'] });
    await check({ name: 'type mismatch', code: 'TYPE_MISMATCH', args: push(mismatch) });
  });

});
