import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, openSqlite, repoRoot, tempDir, type TestDatabase } from '@hesap/test-support';

/**
 * The built `hesap` binary, spawned as users run it: exit codes, one JSON document on
 * stdout with --json, messages on stderr, and no password anywhere.
 */

const BIN = path.join(repoRoot(), 'apps', 'cli', 'bin', 'run.js');
const PASSWORD = 'S3cret-Pa55w0rd-xyz';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function hesap(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Run {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  for (const key of ['DATABASE_URL', 'RENDER_DATABASE_URL', 'HESAP_REMOTE_URL', 'HESAP_LOCAL_DB']) if (!(options.env && key in options.env)) delete env[key];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd, env: env as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(run: Run): Record<string, any> {
  // Exactly one JSON document on stdout, nothing else.
  return JSON.parse(run.stdout);
}

describe('the hesap CLI', () => {
  const tmp = tempDir('hesap-cli');
  let pg: TestDatabase;
  let remote: string;
  let remoteWithPassword: string;
  const local = path.join(tmp.dir, 'app.db');

  beforeAll(async () => {
    pg = await createTestDatabase('cli');
    remote = pg.url;
    const u = new URL(pg.url);
    // The local test server trusts 127.0.0.1, so any password is accepted: enough to check it never shows.
    if (!u.password) u.password = PASSWORD;
    remoteWithPassword = u.toString();
    const db = openSqlite(local);
    db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, creator_id INTEGER REFERENCES users (id), total NUMERIC(10,2));
             INSERT INTO users VALUES (1, 'ali@example.com', 'Ali'), (2, 'ayse@example.com', NULL);
             INSERT INTO orders VALUES (1, 1, 10.5), (2, 2, 7);`);
    db.close();
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('prints help with the db commands', () => {
    const run = hesap(['db', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/db push/);
    expect(run.stdout).toMatch(/db pull/);
    expect(run.stdout).toMatch(/db status/);
    expect(run.stdout).toMatch(/db verify/);
  });

  it('status --json shows both sides and the tables side by side', () => {
    const run = hesap(['db', 'status', '--local', local, '--remote', remote, '--json']);
    expect(run.code).toBe(0);
    const doc = json(run);
    expect(doc.local).toMatchObject({ configured: true, reachable: true });
    expect(doc.remote).toMatchObject({ configured: true, reachable: true });
    expect(doc.remote.serverVersion).toMatch(/^PostgreSQL \d+\.\d+/);
    expect(doc.remote.latencyMs).toBeGreaterThanOrEqual(0);
    expect(doc.tables).toEqual([
      { table: 'orders', local: 2, differs: true },
      { table: 'users', local: 2, differs: true },
    ]);
  });

  it('push --json writes one document, then status shows the same counts', () => {
    const run = hesap(['db', 'push', '--local', local, '--remote', remote, '--json']);
    expect(run.stderr).not.toMatch(/"tables"/);
    expect(run.code).toBe(0);
    const doc = json(run);
    expect(doc.tables.map((t: { table: string; inserted: number }) => [t.table, t.inserted])).toEqual([
      ['users', 2],
      ['orders', 2],
    ]);
    const status = json(hesap(['db', 'status', '--local', local, '--remote', remote, '--json']));
    expect(status.inSync).toBe(true);
    expect(status.lastPush.rows).toBe(4);
  });

  it('human output is an aligned table with a summary', () => {
    const run = hesap(['db', 'status', '--local', local, '--remote', remote]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/table\s+local\s+remote/);
    expect(run.stdout).toMatch(/users\s+2\s+2/);
    expect(run.stdout).toMatch(/Row counts match/);
  });

  it('verify exits 0 when the content is the same and 1 with the differing keys when not', () => {
    expect(hesap(['db', 'verify', '--local', local, '--remote', remote]).code).toBe(0);
    const changed = path.join(tmp.dir, 'changed.db');
    fs.copyFileSync(local, changed);
    const db = openSqlite(changed);
    db.exec(`UPDATE users SET name = 'Ali Veli' WHERE id = 1; INSERT INTO users VALUES (3, 'new@example.com', 'New');`);
    db.close();
    const run = hesap(['db', 'verify', '--local', changed, '--remote', remote, '--json']);
    expect(run.code).toBe(1);
    const doc = json(run);
    expect(doc.same).toBe(false);
    const users = doc.tables.find((t: { table: string }) => t.table === 'users');
    expect(users.status).toBe('different');
    expect(users.differences).toEqual([
      { key: 'id=1', kind: 'changed', columns: ['name'] },
      { key: 'id=3', kind: 'only-local' },
    ]);
    expect(doc.tables.find((t: { table: string }) => t.table === 'orders').status).toBe('same');
  });

  it('reads the local file and the remote URL from .env, RENDER_DATABASE_URL first', () => {
    const dir = path.join(tmp.dir, 'project');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '.env'), `# app settings\nHESAP_LOCAL_DB=${local}\nDATABASE_URL=postgresql://nobody@127.0.0.1:1/none\nRENDER_DATABASE_URL="${remote}"\n`);
    const run = hesap(['db', 'status', '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(json(run).remote.reachable).toBe(true);
    // The environment wins over .env.
    const env = hesap(['db', 'status', '--json'], { cwd: dir, env: { RENDER_DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' } });
    expect(json(env).remote.reachable).toBe(false);
    expect(fs.readFileSync(path.join(dir, '.env'), 'utf8')).toMatch(/^# app settings/);
  });

  it('a missing remote URL is a configuration error (exit 2) that says where it looked', () => {
    const run = hesap(['db', 'push', '--local', local], { cwd: tmp.dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/No remote database URL is configured/);
    expect(run.stderr).toMatch(/RENDER_DATABASE_URL, DATABASE_URL/);
    expect(run.stderr).toMatch(/\.env/);
    const doc = json(hesap(['db', 'push', '--local', local, '--json'], { cwd: tmp.dir }));
    expect(doc.error.code).toBe('CONFIG_MISSING');
    expect(doc.error.hints.length).toBeGreaterThan(0);
  });

  it('a missing local file is a configuration error naming the file', () => {
    const run = hesap(['db', 'push', '--local', path.join(tmp.dir, 'nope.db'), '--remote', remote, '--json']);
    expect(run.code).toBe(2);
    expect(json(run).error).toMatchObject({ code: 'LOCAL_FILE_MISSING' });
    expect(json(run).error.message).toMatch(/nope\.db/);
  });

  it('an unknown flag is a usage error (exit 2)', () => {
    const run = hesap(['db', 'push', '--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/frobnicate/);
  });

  it('replace and pull over a file need --yes when not on a terminal', () => {
    const replace = hesap(['db', 'push', '--local', local, '--remote', remote, '--mode', 'replace']);
    expect(replace.code).toBe(2);
    expect(replace.stderr).toMatch(/--yes/);
    // An old SQLite file: pull refuses a file that is not one, even with --yes (pull-local-file).
    const target = path.join(tmp.dir, 'backup.db');
    const old = openSqlite(target);
    old.exec("CREATE TABLE old (v TEXT); INSERT INTO old VALUES ('old')");
    old.close();
    const before = fs.readFileSync(target);
    const refused = hesap(['db', 'pull', '--local', target, '--remote', remote]);
    expect(refused.code).toBe(2);
    expect(fs.readFileSync(target).equals(before)).toBe(true);
    const pulled = hesap(['db', 'pull', '--local', target, '--remote', remote, '--yes', '--json']);
    expect(pulled.code).toBe(0);
    expect(json(pulled).tables.map((t: { table: string }) => t.table)).toEqual(['users', 'orders']);
    const again = hesap(['db', 'push', '--local', target, '--remote', remote, '--mode', 'replace', '--yes', '--json']);
    expect(again.code).toBe(0);
    expect(json(again).tables.every((t: { action: string }) => t.action === 'replace')).toBe(true);
  });

  it('--tables and --exclude choose the tables', () => {
    const run = hesap(['db', 'status', '--local', local, '--remote', remote, '--exclude', 'orders', '--json']);
    expect(json(run).tables.map((t: { table: string }) => t.table)).toEqual(['users']);
    const only = hesap(['db', 'verify', '--local', local, '--remote', remote, '--tables', 'orders', '--json']);
    expect(json(only).tables.map((t: { table: string }) => t.table)).toEqual(['orders']);
    const unknown = hesap(['db', 'push', '--local', local, '--remote', remote, '--tables', 'nope', '--json']);
    // A table on neither side is a usage error (issue 22); one only the target has stays TABLE_MISSING.
    expect(unknown.code).toBe(2);
    expect(json(unknown).error).toMatchObject({ code: 'USAGE', table: 'nope' });
  });

  it('no stack trace unless --log-level debug', () => {
    const plain = hesap(['db', 'status', '--local', local, '--remote', 'postgresql://u@127.0.0.1:1/x']);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const failing = hesap(['db', 'push', '--local', local, '--remote', 'postgresql://u@127.0.0.1:1/x', '--log-level', 'debug']);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/CONNECTION_REFUSED/);
    expect(failing.stderr).toMatch(/\n\s+at /);
  });

  describe('the password never appears', () => {
    const logFile = path.join(tmp.dir, 'hesap.log');
    const secretFree = (run: Run) => {
      expect(run.stdout).not.toContain(PASSWORD);
      expect(run.stderr).not.toContain(PASSWORD);
      if (fs.existsSync(logFile)) expect(fs.readFileSync(logFile, 'utf8')).not.toContain(PASSWORD);
    };
    const logFlags = ['--log-level', 'debug', '--log-file', logFile];

    it('in successful runs, human and --json', () => {
      for (const args of [
        ['db', 'status'],
        ['db', 'status', '--json'],
        ['db', 'verify', '--json'],
        ['db', 'push', '--mode', 'replace', '--yes'],
        ['db', 'push', '--mode', 'replace', '--yes', '--json'],
      ]) {
        const run = hesap([...args, '--local', local, '--remote', remoteWithPassword, ...logFlags]);
        expect(run.code).toBe(0);
        secretFree(run);
        expect(run.stdout + run.stderr).toMatch(/\*\*\*|"remote"|Pushed|same/);
      }
      expect(fs.statSync(logFile).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(logFile, 'utf8')).toMatch(/Connected to postgresql:\/\/[^:]+:\*\*\*@/);
    });

    it('with a malformed URL', () => {
      for (const url of [`postgresql://user:${PASSWORD}@host:notaport/db`, `postgresql://user:${PASSWORD}@/db?sslmode=bogus`, `postgres://user:${PASSWORD}@ho st/db`]) {
        for (const extra of [[], ['--json']]) {
          const run = hesap(['db', 'push', '--local', local, '--remote', url, ...logFlags, ...extra]);
          expect(run.code).not.toBe(0);
          secretFree(run);
        }
      }
    });

    it('with a wrong user or password, and from the environment', () => {
      const u = new URL(remoteWithPassword);
      u.username = 'no_such_role_hesap';
      const run = hesap(['db', 'push', '--local', local, '--remote', u.toString(), '--json', ...logFlags]);
      expect(run.code).toBe(1);
      expect(json(run).error.code).toBe('AUTH_FAILED');
      secretFree(run);
      const env = hesap(['db', 'status', '--local', local, ...logFlags], { env: { DATABASE_URL: u.toString() } });
      expect(env.code).toBe(1);
      secretFree(env);
      expect(env.stdout).toMatch(/\*\*\*/);
    });
  });
});
