import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@hesap/embedded-pg';
import { HesapError } from '@hesap/core';
import { adminQuery, runHesap, jsonOf, tempDir } from '@hesap/test-support';
import { postgresAdapter } from '../src';

/**
 * Every way people write where their database is, against a PostgreSQL that requires
 * passwords (scram-sha-256, started here): URLs with encoded and raw passwords, libpq
 * keyword strings, PGPASSWORD, .pgpass, pg_service.conf. A missing password is said as such
 * at once; a role without CONNECT is a permission error, not "unreachable"; nothing is
 * printed on stderr by Node or the driver.
 */

const ROLE = 'hesap_app';
/** Long, random, and every character that needs care in a URL or a keyword string. */
const PASSWORD = `${randomBytes(12).toString('base64url')}@#?%/:' "\\&=+ü`;
const RAW = 'Tr0ub4dor@Horse#Battery9?x';

const quoteKeyword = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

describe('connection forms against a server that requires passwords', () => {
  const tmp = tempDir('hesap-conn-forms');
  let server: EmbeddedPostgres;
  let port: number;
  const database = 'forms_db';
  const saved = { ...process.env };
  const probe = async (location: string, env: Record<string, string | undefined> = {}) => {
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    try {
      return await postgresAdapter.probe(location, { connectTimeoutSeconds: 10 });
    } finally {
      for (const k of Object.keys(env)) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  };

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ hba: 'host all all 127.0.0.0/8 scram-sha-256\n', postgresFlags: ['-c', 'password_encryption=scram-sha-256'] });
    port = server.port;
    await adminQuery(server.url, `CREATE ROLE ${ROLE} LOGIN PASSWORD $pw$${PASSWORD}$pw$`);
    await adminQuery(server.url, `CREATE ROLE hesap_raw LOGIN PASSWORD $pw$${RAW}$pw$`);
    await adminQuery(server.url, `CREATE ROLE hesap_nologin_db LOGIN PASSWORD 'x-Pa55'`);
    await adminQuery(server.url, `CREATE DATABASE ${database} OWNER ${ROLE}`);
    await adminQuery(server.url, `REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC`);
    await adminQuery(server.url, `GRANT CONNECT ON DATABASE ${database} TO hesap_raw`);
    for (const k of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSERVICE', 'PGSERVICEFILE', 'PGPASSFILE', 'PGSSLMODE']) delete process.env[k];
  }, 120_000);
  afterAll(async () => {
    process.env = saved;
    server?.stop();
    await server?.stopped;
    tmp.cleanup();
  });

  it('a URL with the password percent-encoded', async () => {
    const r = await probe(`postgresql://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/${database}`);
    expect(r).toMatchObject({ reachable: true });
  });

  it('a URL with a raw password holding @, # and ?', async () => {
    const r = await probe(`postgresql://hesap_raw:${RAW}@127.0.0.1:${port}/${database}`);
    expect(r).toMatchObject({ reachable: true });
    expect(postgresAdapter.describe(`postgresql://hesap_raw:${RAW}@127.0.0.1:${port}/${database}`)).toBe(`postgresql://hesap_raw:***@127.0.0.1:${port}/${database}`);
  });

  it('a libpq keyword string, quoted', async () => {
    const text = `host=127.0.0.1 port=${port} user=${ROLE} password=${quoteKeyword(PASSWORD)} dbname=${database} sslmode=disable`;
    expect(postgresAdapter.accepts(text)).toBe(true);
    expect(await probe(text)).toMatchObject({ reachable: true });
    expect(postgresAdapter.describe(text)).toBe(`host=127.0.0.1 port=${port} user=${ROLE} password=*** dbname=${database} sslmode=disable`);
  });

  it('PGPASSWORD and the other PG variables, as libpq reads them', async () => {
    expect(await probe('host=127.0.0.1', { PGPORT: String(port), PGUSER: ROLE, PGPASSWORD: PASSWORD, PGDATABASE: database })).toMatchObject({ reachable: true });
  });

  it('.pgpass (PGPASSFILE), found when the server asks', async () => {
    const file = path.join(tmp.dir, 'pgpass');
    const escaped = PASSWORD.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
    fs.writeFileSync(file, `127.0.0.1:${port}:${database}:${ROLE}:${escaped}\n`, { mode: 0o600 });
    expect(await probe(`postgresql://${ROLE}@127.0.0.1:${port}/${database}`, { PGPASSFILE: file })).toMatchObject({ reachable: true });
  });

  it('a service from pg_service.conf (PGSERVICEFILE), by service= and by PGSERVICE', async () => {
    const file = path.join(tmp.dir, 'pg_service.conf');
    fs.writeFileSync(file, `# production\n[prod]\nhost=127.0.0.1\nport=${port}\nuser=hesap_raw\npassword=${RAW}\ndbname=${database}\n`, { mode: 0o600 });
    expect(await probe('service=prod', { PGSERVICEFILE: file })).toMatchObject({ reachable: true });
    expect(await probe('postgresql:///', { PGSERVICEFILE: file, PGSERVICE: 'prod' })).toMatchObject({ reachable: true });
    const missing = await probe('service=nope', { PGSERVICEFILE: file });
    expect(missing.error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(missing.error!.message).toContain('"nope"');
  });

  it('no password anywhere: PASSWORD_REQUIRED at once, saying where to put one', async () => {
    const started = Date.now();
    const r = await probe(`postgresql://${ROLE}@127.0.0.1:${port}/${database}`, { PGPASSFILE: path.join(tmp.dir, 'none') });
    expect(r.error).toBeInstanceOf(HesapError);
    expect(r.error).toMatchObject({ code: 'PASSWORD_REQUIRED' });
    expect(r.error!.hints.join(' ')).toMatch(/PGPASSWORD|pgpass/);
    // The server asked at once: no timeout was waited for (the connect timeout is 10 s).
    expect(Date.now() - started).toBeLessThan(9000);
  });

  it('a role the database does not let connect: PERMISSION_DENIED with the grant to run', async () => {
    const r = await probe(`postgresql://hesap_nologin_db:x-Pa55@127.0.0.1:${port}/${database}`);
    expect(r.error).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(r.error!.hints.join(' ')).toContain(`GRANT CONNECT ON DATABASE "${database}" TO "hesap_nologin_db"`);
  });

  it('the CLI with a keyword string and .pgpass: connects, prints nothing on stderr, and no part of the password', async () => {
    const file = path.join(tmp.dir, 'pgpass-cli');
    fs.writeFileSync(file, `*:*:*:${ROLE}:${PASSWORD.replace(/\\/g, '\\\\').replace(/:/g, '\\:')}\n`, { mode: 0o600 });
    const remote = `host=127.0.0.1 port=${port} user=${ROLE} dbname=${database}`;
    const run = await runHesap(['db', 'status', '--local', path.join(tmp.dir, 'none.db'), '--remote', remote, '--json'], { env: { PGPASSFILE: file } });
    const doc = jsonOf(run);
    expect(doc.remote).toMatchObject({ reachable: true });
    expect(run.stderr).toBe('');
    for (const text of [run.stdout, run.stderr]) expect(text.includes(PASSWORD.slice(0, 10))).toBe(false);
  });
});
