import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@hesap/embedded-pg';
import { adminQuery, buildLoadDatabase, expectNoSecretLeak, jsonOf, runHesap, secretForms, tempDir, type SecretCase } from '@hesap/test-support';

/**
 * Every form in which people hold a PostgreSQL password, against a server that requires
 * passwords (scram-sha-256, started here): `.env` with a quoted value and a trailing comment,
 * `export`, a multi-line value; libpq keyword strings; `.pgpass`; `service=`; a long random
 * password and one with @ # ? % written raw. Each connects, and no part of the password
 * shows in stdout, stderr, the --json document, the log file, the state file, a snapshot's
 * manifest, or what hesap stores in the target (the identity map's source id).
 */

const LONG_ROLE = 'hesap_long';
/** Long and random, with characters that need care in a URL, a keyword string, .pgpass and a service file. */
const LONG = `${randomBytes(24).toString('base64url')}@#?%/:'"\\&=+ü`;
const RAW_ROLE = 'hesap_odd';
/** Written raw in a URL: @ # ? % where a parser could take them for the URL's own (a % not followed by two hex digits: `%3a` would be an escape). */
const RAW = `Tr0ub4dor@Horse#Battery9?x%z${randomBytes(4).toString('hex')}`;

const keyword = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const pgpassField = (value: string) => value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');

describe('the password never appears, in any form it is held in', () => {
  const tmp = tempDir('hesap-secret-forms');
  let server: EmbeddedPostgres;
  let port: number;
  const local = path.join(tmp.dir, 'app.db');
  const database = 'forms';
  const longUrl = () => `postgresql://${LONG_ROLE}:${encodeURIComponent(LONG)}@127.0.0.1:${port}/${database}`;
  const rawUrl = () => `postgresql://${RAW_ROLE}:${RAW}@127.0.0.1:${port}/${database}`;
  const longKeywords = () => `host=127.0.0.1 port=${port} user=${LONG_ROLE} password=${keyword(LONG)} dbname=${database}`;
  /** Every file hesap wrote in a project folder (state, snapshot manifests), to scan. */
  const written = (dir: string): string[] =>
    fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && /\.json$/.test(e.name)).map((e) => path.join(e.parentPath, e.name)) : [];

  /** A project folder holding `.env` (when given) and package.json, as a real one does. */
  const project = (name: string, dotenv?: string): string => {
    const dir = path.join(tmp.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name": "app"}\n');
    if (dotenv !== undefined) fs.writeFileSync(path.join(dir, '.env'), dotenv);
    return dir;
  };

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ hba: 'host all all 127.0.0.0/8 scram-sha-256\n', postgresFlags: ['-c', 'password_encryption=scram-sha-256'] });
    port = server.port;
    await adminQuery(server.url, `CREATE ROLE ${LONG_ROLE} LOGIN PASSWORD $pw$${LONG}$pw$`);
    await adminQuery(server.url, `CREATE ROLE ${RAW_ROLE} LOGIN PASSWORD $pw$${RAW}$pw$ IN ROLE ${LONG_ROLE}`);
    await adminQuery(server.url, `CREATE DATABASE ${database} OWNER ${LONG_ROLE}`);
    buildLoadDatabase(local, { parents: 40, childrenPerParent: 2 });
    // The tables exist before the checks below merge into them, three runs at a time.
    const first = await runHesap(['db', 'push', '--local', local, '--remote', longUrl(), '--json']);
    expect(jsonOf(first).error).toBeUndefined();
  }, 180_000);
  afterAll(async () => {
    server?.stop();
    await server?.stopped;
    tmp.cleanup();
  });

  interface Form {
    name: string;
    password: string;
    /** Where the remote comes from, as status says it. */
    source: RegExp;
    cwd: string;
    env?: Record<string, string>;
    remoteArgs?: string[];
  }

  const forms = (): Form[] => [
    {
      name: '.env: a quoted value with a trailing comment',
      password: LONG,
      source: /^DATABASE_URL \(.*\.env\)$/,
      cwd: project('quoted', `# the app's settings\nDATABASE_URL="${longUrl()}"  # production\n`),
    },
    {
      name: '.env: export, a raw password in single quotes',
      password: RAW,
      source: /^RENDER_DATABASE_URL \(.*\.env\)$/,
      cwd: project('export', `export RENDER_DATABASE_URL='${rawUrl()}'\n`),
    },
    {
      name: '.env: a keyword string over several lines, read from a parent folder',
      password: RAW,
      source: /^HESAP_REMOTE_URL \(.*multi-line[/\\]\.env\)$/,
      cwd: (() => {
        const root = project('multi-line', `HESAP_REMOTE_URL="host=127.0.0.1 port=${port}\nuser=${RAW_ROLE} password='${RAW}'\ndbname=${database}"\n`);
        const sub = path.join(root, 'src', 'deep');
        fs.mkdirSync(sub, { recursive: true });
        return sub;
      })(),
    },
    {
      name: 'a keyword string in the environment',
      password: LONG,
      source: /^HESAP_REMOTE_URL \(environment\)$/,
      cwd: project('keywords'),
      env: { HESAP_REMOTE_URL: longKeywords() },
    },
    {
      name: '.pgpass',
      password: LONG,
      source: /^DATABASE_URL \(environment\)$/,
      cwd: project('pgpass'),
      env: (() => {
        const file = path.join(tmp.dir, 'pgpass-file');
        fs.writeFileSync(file, `127.0.0.1:${port}:${database}:${LONG_ROLE}:${pgpassField(LONG)}\n`, { mode: 0o600 });
        return { DATABASE_URL: `postgresql://${LONG_ROLE}@127.0.0.1:${port}/${database}`, PGPASSFILE: file };
      })(),
    },
    {
      name: 'service= and pg_service.conf',
      password: LONG,
      source: /^HESAP_REMOTE_URL \(environment\)$/,
      cwd: project('service'),
      env: (() => {
        const file = path.join(tmp.dir, 'services.conf');
        fs.writeFileSync(file, `[forms]\nhost=127.0.0.1\nport=${port}\nuser=${LONG_ROLE}\npassword=${LONG}\ndbname=${database}\n`, { mode: 0o600 });
        return { HESAP_REMOTE_URL: 'service=forms', PGSERVICEFILE: file };
      })(),
    },
    {
      name: '--remote with a raw password holding @ # ? %',
      password: RAW,
      source: /^--remote$/,
      cwd: project('flag'),
      remoteArgs: ['--remote', rawUrl()],
    },
  ];

  it('every form connects; status names where the URL came from; nothing shows the password', async () => {
    for (const form of forms()) {
      // The state file where a user's would be (the test setup keeps it elsewhere).
      form.env = { ...form.env, HESAP_STATE_DIR: path.join(form.cwd, '.hesap') };
      const sides = ['--local', local, ...(form.remoteArgs ?? [])];
      const status = jsonOf(await runHesap(['db', 'status', ...sides, '--json'], { cwd: form.cwd, env: form.env }));
      expect({ form: form.name, reachable: status.remote.reachable, error: status.remote.error }).toEqual({ form: form.name, reachable: true, error: undefined });
      expect({ form: form.name, source: status.configuration.remote.source }).toEqual({ form: form.name, source: expect.stringMatching(form.source) });
      const check = (name: string, args: string[]): Promise<void> =>
        expectNoSecretLeak({ name: `${form.name}: ${name}`, code: 'OK', args, cwd: form.cwd, env: form.env } satisfies SecretCase, [form.password], tmp.dir);
      await check('status', ['db', 'status', ...sides]);
      await check('push', ['db', 'push', ...sides]);
      await check('verify', ['db', 'verify', ...sides]);
      await check('pull', ['db', 'pull', ...sides.map((a) => (a === local ? path.join(form.cwd, 'pulled.db') : a)), '--yes']);
      await check('snapshot', ['db', 'snapshot', 'create', '--from', 'remote', ...sides]);
      const files = written(path.join(form.cwd, '.hesap'));
      expect({ form: form.name, state: files.some((f) => f.endsWith('state.json')), manifests: files.filter((f) => f.endsWith('manifest.json')).length }).toEqual({
        form: form.name,
        state: true,
        manifests: 3,
      });
      for (const file of files) {
        const text = fs.readFileSync(file, 'utf8');
        for (const part of secretForms(form.password)) expect({ form: form.name, file, leaked: text.includes(part) }).toMatchObject({ leaked: false });
      }
    }
    // What hesap keeps in the target: the identity map's source ids.
    const stored = JSON.stringify(await adminQuery(server.url.replace(/\/[^/]*$/, `/${database}`), 'SELECT DISTINCT source_id FROM _hesap.identity_baseline'));
    for (const part of [...secretForms(LONG), ...secretForms(RAW)]) expect(stored.includes(part)).toBe(false);
  }, 600_000);
});
