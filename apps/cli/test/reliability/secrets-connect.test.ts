import * as path from 'node:path';
import { buildLoadDatabase, expectNoSecretLeak, startPasswordServer, startSilentServer, SECRET_PASSWORD, tempDir, type PasswordServer } from '@hesap/test-support';

/**
 * The password never shows in what the CLI writes (stdout, stderr, --json, --log-file, at
 * --log-level debug) when the password is a query parameter, and when connecting fails: refused, a role that does not exist, a wrong
 * password (which is a secret too), a missing database, TLS required, TLS rejected, a
 * connect timeout.
 */

const WRONG = 'Wr0ng!guess@x/y-77c';

describe('the password never appears: connection errors', () => {
  const tmp = tempDir('hesap-secret-connect');
  let pw: PasswordServer;
  const local = path.join(tmp.dir, 'app.db');
  const check = (c: Parameters<typeof expectNoSecretLeak>[0]) => expectNoSecretLeak(c, [SECRET_PASSWORD, WRONG], tmp.dir);
  const push = (change: (u: URL) => void) => {
    const u = new URL(pw.remote);
    change(u);
    return ['db', 'push', '--local', local, '--remote', u.toString(), '--mode', 'replace', '--yes'];
  };

  beforeAll(async () => {
    pw = await startPasswordServer(tmp.dir);
    buildLoadDatabase(local, { parents: 50, childrenPerParent: 2 });
  }, 120_000);
  afterAll(async () => {
    await pw?.stop();
    tmp.cleanup();
  });

  it('a successful connection with the password given as a query parameter', async () => {
    const query = new URL(pw.remote);
    query.password = '';
    query.searchParams.set('password', SECRET_PASSWORD);
    await check({ name: 'password parameter', code: 'OK', args: ['db', 'status', '--local', local, '--remote', query.toString()] });
  });

  it('refused, a role that does not exist, a wrong password, a missing database', async () => {
    await check({ name: 'refused', code: 'CONNECTION_REFUSED', args: push((u) => (u.port = '1')) });
    await check({ name: 'unknown role', code: 'AUTH_FAILED', args: push((u) => (u.username = 'no_such_role_hesap')) });
    await check({ name: 'wrong password', code: 'AUTH_FAILED', args: push((u) => (u.password = encodeURIComponent(WRONG))) });
    await check({ name: 'missing database', code: 'DATABASE_MISSING', args: push((u) => (u.pathname = '/no_such_database_hesap')) });
  });

  it('TLS required, TLS rejected', async () => {
    await check({ name: 'TLS required', code: 'TLS_REQUIRED', args: push((u) => u.searchParams.set('sslmode', 'disable')) });
    await check({
      name: 'TLS rejected',
      code: 'TLS_REJECTED',
      args: push((u) => {
        u.searchParams.set('sslmode', 'verify-full');
        u.searchParams.set('sslrootcert', pw.certs.otherCa);
      }),
    });
  });

  it('a connect timeout', async () => {
    const silent = await startSilentServer();
    try {
      await check({ name: 'timeout', code: 'CONNECTION_TIMEOUT', args: [...push((u) => (u.port = String(silent.port))), '--connect-timeout', '1'] });
    } finally {
      await silent.close();
    }
  });
});
