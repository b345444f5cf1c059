import * as fs from 'node:fs';
import * as path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@hesap/embedded-pg';
import {
  adminQuery,
  buildLoadDatabase,
  createDatabaseOn,
  createTestDatabase,
  dumpSqlite,
  generateTestCertificates,
  jsonOf,
  pgFingerprint,
  runHesap,
  tempDir,
  type TestCertificates,
  type TestDatabase,
} from '@hesap/test-support';

/**
 * sslmode as libpq means it, against a PostgreSQL that only takes TLS (an embedded server
 * with a certificate made here by openssl for 127.0.0.1 and localhost, signed by a CA made
 * here; pg_hba: hostssl only, plain connections of "postgres" rejected): what is used is
 * said by `status --json` (remote.tls); what is refused is refused with TLS_REJECTED or
 * TLS_REQUIRED.
 */

const TLS_USER = 'hesap_tls';
const TLS_PASSWORD = 'tls-Pa55-word';

/** The URL with these query parameters (others kept, `sslmode` replaced), and optionally another user or host. */
function urlWith(url: string, params: Record<string, string>, who: { user?: string; password?: string; host?: string } = {}): string {
  const u = new URL(url);
  u.search = '';
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  if (who.user) u.username = who.user;
  if (who.password) u.password = who.password;
  if (who.host) u.hostname = who.host;
  return u.toString();
}

describe('TLS and sslmode', () => {
  const tmp = tempDir('hesap-tls');
  let certs: TestCertificates;
  let server: EmbeddedPostgres;
  let db: TestDatabase;
  /** The test database as hesap sees it: no query parameters. */
  let base: string;
  const local = path.join(tmp.dir, 'app.db');

  const status = async (url: string) => jsonOf(await runHesap(['db', 'status', '--local', local, '--remote', url, '--json', '--connect-timeout', '5']));

  beforeAll(async () => {
    certs = generateTestCertificates(path.join(tmp.dir, 'certs'));
    server = await startEmbeddedPostgres({
      ssl: { cert: certs.serverCert, key: certs.serverKey },
      // 127.0.0.2 too: the same server under a name its certificate does not have.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1,127.0.0.2'],
      hba: ['hostssl all all 127.0.0.0/8 password', 'hostnossl all postgres 127.0.0.0/8 reject', ''].join('\n'),
    });
    // The test's own connections: TLS without verification (node-postgres' sslmode=no-verify).
    const admin = urlWith(server.url, { sslmode: 'no-verify' });
    db = await createDatabaseOn(admin, 'tls');
    await adminQuery(admin, `CREATE ROLE ${TLS_USER} LOGIN PASSWORD '${TLS_PASSWORD}'`);
    await adminQuery(admin, `CREATE DATABASE ${TLS_USER} OWNER ${TLS_USER}`);
    base = urlWith(db.url, {});
    buildLoadDatabase(local, { parents: 200, childrenPerParent: 2 });
  }, 120_000);
  afterAll(async () => {
    server?.stop();
    await server?.stopped;
    tmp.cleanup();
  });

  it('no sslmode (prefer) uses TLS, and status says so', async () => {
    const doc = await status(base);
    expect(doc.remote).toMatchObject({ reachable: true, tls: 'TLS, certificate not verified (sslmode=prefer)' });
    const logFile = path.join(tmp.dir, 'prefer.log');
    const run = await runHesap(['db', 'push', '--local', local, '--remote', base, '--json', '--log-level', 'info', '--log-file', logFile]);
    expect(run.code).toBe(0);
    expect(jsonOf(run).tables.map((t: { inserted: number }) => t.inserted)).toEqual([200, 400]);
    expect(fs.readFileSync(logFile, 'utf8')).toMatch(/Connected to postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\S+; TLS, certificate not verified \(sslmode=prefer\)/);
  });

  it('sslmode=require encrypts without checking the certificate (even under a name it does not have)', async () => {
    expect((await status(urlWith(base, { sslmode: 'require' }))).remote).toMatchObject({ reachable: true, tls: 'TLS, certificate not verified (sslmode=require)' });
    expect((await status(urlWith(base, { sslmode: 'require' }, { host: '127.0.0.2' }))).remote).toMatchObject({ reachable: true });
  });

  it('sslmode=verify-full with the right CA connects, by IP and by name; verify-ca does not check the name', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const doc = await status(urlWith(base, { sslmode: 'verify-full', sslrootcert: certs.ca }, { host }));
      expect({ host, remote: doc.remote }).toMatchObject({ host, remote: { reachable: true, tls: 'TLS, certificate and host name verified (sslmode=verify-full)' } });
    }
    const ca = await status(urlWith(base, { sslmode: 'verify-ca', sslrootcert: certs.ca }, { host: '127.0.0.2' }));
    expect(ca.remote).toMatchObject({ reachable: true, tls: 'TLS, certificate verified, host name not checked (sslmode=verify-ca)' });
    // A push over verify-full works and moves the data.
    const run = await runHesap(['db', 'push', '--local', local, '--remote', urlWith(base, { sslmode: 'verify-full', sslrootcert: certs.ca }), '--mode', 'replace', '--yes', '--json']);
    expect(run.code).toBe(0);
    expect((await pgFingerprint(db)).children!.rows).toBe(400);
    // And back: the pull reads COPY TO off the TLS socket.
    const back = path.join(tmp.dir, 'back.db');
    const pulled = await runHesap(['db', 'pull', '--local', back, '--remote', urlWith(base, { sslmode: 'verify-full', sslrootcert: certs.ca }), '--yes', '--json']);
    expect(pulled.code).toBe(0);
    expect(dumpSqlite(back).tables).toEqual(dumpSqlite(local).tables);
  });

  it.each([
    ['verify-full with a CA that did not sign the certificate', { sslmode: 'verify-full' }, 'otherCa', '127.0.0.1'],
    ['verify-ca with a CA that did not sign the certificate', { sslmode: 'verify-ca' }, 'otherCa', '127.0.0.1'],
    ['require with a root certificate that does not match (libpq then verifies)', { sslmode: 'require' }, 'otherCa', '127.0.0.1'],
    ['verify-full under a host name the certificate does not have', { sslmode: 'verify-full' }, 'ca', '127.0.0.2'],
    ['verify-full without a root certificate (the system CAs do not know it)', { sslmode: 'verify-full' }, undefined, '127.0.0.1'],
  ] as const)('%s: refused with TLS_REJECTED, nothing written', async (_what, params, root, host) => {
    const before = await pgFingerprint(db);
    const url = urlWith(base, { ...params, ...(root ? { sslrootcert: certs[root] } : {}) }, { host });
    const doc = await status(url);
    expect(doc.remote).toMatchObject({ reachable: false, error: { code: 'TLS_REJECTED' } });
    expect(doc.remote.error.message).toContain(`sslmode=${params.sslmode}`);
    const run = await runHesap(['db', 'push', '--local', local, '--remote', url, '--json', '--mode', 'replace', '--yes']);
    expect(run.code).toBe(1);
    expect(jsonOf(run).error).toMatchObject({ code: 'TLS_REJECTED' });
    expect(jsonOf(run).error.hints.join(' ')).toMatch(/sslrootcert/);
    expect(await pgFingerprint(db)).toEqual(before);
  });

  it('the real cause of a refused certificate: another host name, another CA; and Node prints no warning (DEP0123) for an IP address', async () => {
    const mismatch = await status(urlWith(base, { sslmode: 'verify-full', sslrootcert: certs.ca }, { host: '127.0.0.2' }));
    expect(mismatch.remote.error.message).toMatch(/is for another host name/);
    expect(mismatch.remote.error.hints.join(' ')).toMatch(/verify-ca/);
    const otherCa = await status(urlWith(base, { sslmode: 'verify-full', sslrootcert: certs.otherCa }));
    expect(otherCa.remote.error.message).toMatch(/not signed by the CA given|self-signed CA/);
    const run = await runHesap(['db', 'status', '--local', local, '--remote', urlWith(base, { sslmode: 'verify-full', sslrootcert: certs.ca }, { host: '127.0.0.1' })]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/DEP0123|Warning/);
  });

  it('sslrootcert naming a file that is not a certificate is a configuration error saying so', async () => {
    const doc = await status(urlWith(base, { sslmode: 'verify-full', sslrootcert: '/etc/passwd' }));
    expect(doc.remote.error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(doc.remote.error.message).toMatch(/\/etc\/passwd holds no certificate/);
  });

  it('sslmode=allow tries a plain connection first, then TLS when the server refuses it, and says which', async () => {
    expect((await status(urlWith(base, { sslmode: 'allow' }))).remote).toMatchObject({
      reachable: true,
      tls: 'TLS, certificate not verified (sslmode=allow: the server refused a plain connection)',
    });
  });

  it('sslmode=disable against a server without a plain-connection entry for the user: TLS_REQUIRED with the remedy', async () => {
    const own = (params: Record<string, string>) => {
      const u = new URL(urlWith(base, params, { user: TLS_USER, password: TLS_PASSWORD }));
      u.pathname = `/${TLS_USER}`;
      return u.toString();
    };
    const url = own({ sslmode: 'disable' });
    const run = await runHesap(['db', 'push', '--local', local, '--remote', url, '--json']);
    expect(run.code).toBe(1);
    expect(jsonOf(run).error).toMatchObject({ code: 'TLS_REQUIRED' });
    expect(jsonOf(run).error.hints.join(' ')).toMatch(/sslmode=require/);
    // The same user over TLS is let in.
    expect((await status(own({ sslmode: 'require' }))).remote).toMatchObject({ reachable: true, tls: 'TLS, certificate not verified (sslmode=require)' });
  });

  it('sslmode=disable where pg_hba rejects plain connections (hostnossl ... reject): refused, nothing written', async () => {
    const before = await pgFingerprint(db);
    const run = await runHesap(['db', 'push', '--local', local, '--remote', urlWith(base, { sslmode: 'disable' }), '--json', '--mode', 'replace', '--yes']);
    expect(run.code).toBe(1);
    expect(jsonOf(run).error.code).toMatch(/^(TLS_REQUIRED|AUTH_FAILED)$/);
    expect(await pgFingerprint(db)).toEqual(before);
  });

  // A `hostnossl ... reject` line answers a plain connection with 28000 '... no encryption':
  // it was once AUTH_FAILED with the hint to check the password.
  it('sslmode=disable where pg_hba rejects plain connections is TLS_REQUIRED, not AUTH_FAILED', async () => {
    const run = await runHesap(['db', 'push', '--local', local, '--remote', urlWith(base, { sslmode: 'disable' }), '--json']);
    expect(jsonOf(run).error).toMatchObject({ code: 'TLS_REQUIRED' });
  });

  it('a missing sslrootcert file is a configuration error (exit 2) naming the file', async () => {
    const missing = path.join(tmp.dir, 'nope.pem');
    const run = await runHesap(['db', 'push', '--local', local, '--remote', urlWith(base, { sslmode: 'verify-full', sslrootcert: missing }), '--json']);
    expect(run.code).toBe(2);
    expect(jsonOf(run).error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(jsonOf(run).error.message).toContain(missing);
  });

  describe('a server without TLS (the shared test server)', () => {
    let plain: TestDatabase;
    beforeAll(async () => {
      plain = await createTestDatabase('notls');
    });
    afterAll(async () => {
      await plain.drop();
    });

    it('prefer falls back to a plain connection and says so; require is refused with TLS_REQUIRED', async () => {
      const server = await adminQuery(plain.url, 'SHOW ssl');
      if ((server[0] as { ssl: string }).ssl === 'on') return; // the shared server offers TLS here: nothing to test
      expect((await status(plain.url)).remote).toMatchObject({ reachable: true, tls: 'none (sslmode=prefer; the server offers no TLS)' });
      expect((await status(urlWith(plain.url, { sslmode: 'disable' }))).remote).toMatchObject({ reachable: true, tls: 'none (sslmode=disable)' });
      expect((await status(urlWith(plain.url, { sslmode: 'allow' }))).remote).toMatchObject({ reachable: true, tls: 'none (sslmode=allow: a plain connection was accepted)' });
      const required = await status(urlWith(plain.url, { sslmode: 'require' }));
      expect(required.remote).toMatchObject({ reachable: false, error: { code: 'TLS_REQUIRED' } });
      expect(required.remote.error.message).toMatch(/does not offer TLS/);
    });
  });
});
