import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, dumpSqlite, openSqlite, repoRoot, tempDir, type TestDatabase } from '@hesap/test-support';

/**
 * `hesap db snapshot ...` as users run it: the built binary, spawned. Exit codes, one
 * JSON document with --json, confirmation for what overwrites or deletes, no password
 * anywhere, and a create killed with SIGKILL halfway leaves nothing that counts.
 */

const BIN = path.join(repoRoot(), 'apps', 'cli', 'bin', 'run.js');
const PASSWORD = 'Snap-S3cret-Pa55';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...extra };
  for (const key of ['DATABASE_URL', 'RENDER_DATABASE_URL', 'HESAP_LOCAL_DB', 'HESAP_SNAPSHOT_DIR']) if (!(key in extra)) delete env[key];
  return env as NodeJS.ProcessEnv;
}

function hesap(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cleanEnv(options.env), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const json = (run: Run): Record<string, any> => JSON.parse(run.stdout);

describe('hesap db snapshot', () => {
  const tmp = tempDir('hesap-cli-snapshot');
  const dir = path.join(tmp.dir, 'snapshots');
  const local = path.join(tmp.dir, 'app.db');
  let pg: TestDatabase;
  let remote: string;

  beforeAll(async () => {
    pg = await createTestDatabase('cli_snap');
    const u = new URL(pg.url);
    // The test server trusts 127.0.0.1, so any password is accepted: enough to check it never shows.
    u.password = PASSWORD;
    remote = u.toString();
    const db = openSqlite(local);
    db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, creator_id INTEGER REFERENCES users (id), total NUMERIC(10,2));
             INSERT INTO users VALUES (1, 'ali@example.com', 'Ali'), (2, 'ayse@example.com', NULL);
             INSERT INTO orders VALUES (1, 1, 10.5), (2, 2, 7), (3, NULL, NULL);`);
    db.close();
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('is in the help', () => {
    const run = hesap(['db', 'snapshot', '--help']);
    expect(run.code).toBe(0);
    for (const c of ['create', 'list', 'verify', 'restore', 'prune']) expect(run.stdout).toMatch(new RegExp(`db snapshot ${c}`));
  });

  it('create --json writes one document; list --json shows it; verify --json exits 0', () => {
    const created = hesap(['db', 'snapshot', 'create', '--from', 'local', '--local', local, '--dir', dir, '--json']);
    expect(created.code).toBe(0);
    const doc = json(created);
    expect(doc.snapshot).toMatchObject({ tables: 2, rows: 5, source: { kind: 'local', adapter: 'sqlite', location: local } });
    expect(doc.tables.map((t: { table: string; rows: number }) => [t.table, t.rows])).toEqual([
      ['users', 2],
      ['orders', 3],
    ]);
    expect(fs.existsSync(path.join(dir, doc.snapshot.name, 'manifest.json'))).toBe(true);

    const listed = hesap(['db', 'snapshot', 'list', '--dir', dir, '--json']);
    expect(listed.code).toBe(0);
    expect(json(listed).snapshots.map((s: { name: string }) => s.name)).toEqual([doc.snapshot.name]);

    const verified = hesap(['db', 'snapshot', 'verify', doc.snapshot.name, '--dir', dir, '--json']);
    expect(verified.code).toBe(0);
    expect(json(verified)).toMatchObject({ ok: true, problems: [], snapshot: doc.snapshot.name });
    expect(json(verified).tables.map((t: { status: string }) => t.status)).toEqual(['ok', 'ok']);
  });

  it('a snapshot of the remote keeps no password: not in output, not in the manifest', () => {
    const run = hesap(['db', 'snapshot', 'create', '--from', 'remote', '--dir', dir, '--json'], { env: { DATABASE_URL: remote } });
    // The remote is empty: a snapshot of no tables is still a snapshot.
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    const doc = json(run);
    expect(doc.snapshot.source.location).toMatch(/^postgresql:\/\/postgres:\*\*\*@/);
    expect(fs.readFileSync(path.join(doc.snapshot.path, 'manifest.json'), 'utf8')).not.toContain(PASSWORD);
    fs.rmSync(doc.snapshot.path, { recursive: true });
  });

  it('human output: a table of snapshots, newest first, and the default folder .hesap/snapshots', () => {
    const project = path.join(tmp.dir, 'project');
    fs.mkdirSync(project);
    for (let i = 0; i < 2; i++) expect(hesap(['db', 'snapshot', 'create', '--from', 'local', '--local', local], { cwd: project }).code).toBe(0);
    const names = fs.readdirSync(path.join(project, '.hesap', 'snapshots')).sort();
    expect(names).toHaveLength(2);
    const run = hesap(['db', 'snapshot', 'list'], { cwd: project });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/snapshot\s+created\s+source\s+tables\s+rows\s+size/);
    const lines = run.stdout.split('\n');
    expect(lines.findIndex((l) => l.startsWith(names[1]!))).toBeLessThan(lines.findIndex((l) => l.startsWith(names[0]!)));
    expect(run.stdout).toMatch(/2 snapshots/);
    // HESAP_SNAPSHOT_DIR points elsewhere.
    const elsewhere = hesap(['db', 'snapshot', 'list', '--json'], { cwd: project, env: { HESAP_SNAPSHOT_DIR: dir } });
    expect(json(elsewhere).dir).toBe(dir);
  });

  it('restore needs --yes, then restores into a SQLite file and into PostgreSQL, exit 0', () => {
    const restored = path.join(tmp.dir, 'restored.db');
    fs.copyFileSync(local, restored);
    const refused = hesap(['db', 'snapshot', 'restore', 'latest', '--to', 'local', '--local', restored, '--dir', dir, '--json']);
    expect(refused.code).toBe(2);
    expect(json(refused).error.code).toBe('USAGE');
    expect(json(refused).error.hints.join(' ')).toMatch(/--yes/);

    const run = hesap(['db', 'snapshot', 'restore', 'latest', '--to', 'local', '--local', restored, '--dir', dir, '--yes', '--json']);
    expect(run.code).toBe(0);
    expect(json(run).check.ok).toBe(true);
    expect(dumpSqlite(restored)).toEqual(dumpSqlite(local));

    const toRemote = hesap(['db', 'snapshot', 'restore', 'latest', '--to', 'remote', '--dir', dir, '--yes', '--json'], { env: { DATABASE_URL: remote } });
    expect(toRemote.code).toBe(0);
    expect(toRemote.stdout + toRemote.stderr).not.toContain(PASSWORD);
    const doc = json(toRemote);
    expect(doc.to).toMatch(/\*\*\*/);
    expect(doc.check.tables.map((t: { table: string; status: string; rows: number }) => [t.table, t.status, t.rows])).toEqual([
      ['users', 'same', 2],
      ['orders', 'same', 3],
    ]);
    const human = hesap(['db', 'snapshot', 'restore', 'latest', '--to', 'remote', '--remote', remote, '--dir', dir, '--yes']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/exactly the snapshot content/);
    expect(human.stdout).not.toContain(PASSWORD);
  });

  it('a damaged snapshot: verify exits 1 naming the file, restore exits 1 with SNAPSHOT_INVALID and changes nothing', () => {
    const name = json(hesap(['db', 'snapshot', 'list', '--dir', dir, '--json'])).snapshots[0].name as string;
    const damaged = path.join(dir, 'damaged');
    fs.cpSync(path.join(dir, name), damaged, { recursive: true });
    const file = fs.readdirSync(damaged).find((f) => f.endsWith('.csv.gz'))!;
    const bytes = fs.readFileSync(path.join(damaged, file));
    bytes[bytes.length - 6]! ^= 0xff;
    fs.writeFileSync(path.join(damaged, file), bytes);

    const verified = hesap(['db', 'snapshot', 'verify', damaged, '--json']);
    expect(verified.code).toBe(1);
    expect(json(verified).ok).toBe(false);
    expect(json(verified).problems.map((p: { file: string }) => p.file)).toEqual([file]);
    const human = hesap(['db', 'snapshot', 'verify', 'damaged', '--dir', dir]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(file);
    expect(human.stdout).toMatch(/is damaged/);

    const target = path.join(tmp.dir, 'untouched.db');
    fs.copyFileSync(local, target);
    const before = fs.readFileSync(target);
    const restored = hesap(['db', 'snapshot', 'restore', 'damaged', '--to', 'local', '--local', target, '--dir', dir, '--yes', '--json']);
    expect(restored.code).toBe(1);
    expect(json(restored).error).toMatchObject({ code: 'SNAPSHOT_INVALID', file });
    expect(fs.readFileSync(target).equals(before)).toBe(true);
    fs.rmSync(damaged, { recursive: true });
  });

  it('usage errors exit 2: no --from, no such snapshot is exit 1 with SNAPSHOT_MISSING', () => {
    const noFrom = hesap(['db', 'snapshot', 'create', '--local', local, '--dir', dir, '--json']);
    expect(noFrom.code).toBe(2);
    const noRemote = hesap(['db', 'snapshot', 'create', '--from', 'remote', '--dir', dir, '--json'], { cwd: tmp.dir });
    expect(noRemote.code).toBe(2);
    expect(json(noRemote).error.code).toBe('CONFIG_MISSING');
    const missing = hesap(['db', 'snapshot', 'verify', 'nope', '--dir', dir, '--json']);
    expect(missing.code).toBe(1);
    expect(json(missing).error.code).toBe('SNAPSHOT_MISSING');
    const prune = hesap(['db', 'snapshot', 'prune', '--dir', dir, '--json']);
    expect(prune.code).toBe(2);
    expect(json(prune).error.code).toBe('USAGE');
  });

  it('prune asks first, needs --yes, and never removes the only snapshot', () => {
    const before = json(hesap(['db', 'snapshot', 'list', '--dir', dir, '--json'])).snapshots as Array<{ name: string }>;
    expect(before.length).toBeGreaterThanOrEqual(1);
    if (before.length < 2) expect(hesap(['db', 'snapshot', 'create', '--from', 'local', '--local', local, '--dir', dir]).code).toBe(0);
    const all = json(hesap(['db', 'snapshot', 'list', '--dir', dir, '--json'])).snapshots as Array<{ name: string }>;
    const refused = hesap(['db', 'snapshot', 'prune', '--keep', '1', '--dir', dir, '--json']);
    expect(refused.code).toBe(2);
    expect(json(hesap(['db', 'snapshot', 'list', '--dir', dir, '--json'])).snapshots).toHaveLength(all.length);
    const dry = hesap(['db', 'snapshot', 'prune', '--keep', '1', '--dir', dir, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(json(dry).removed.map((s: { name: string }) => s.name)).toEqual(all.slice(1).map((s) => s.name));
    const run = hesap(['db', 'snapshot', 'prune', '--keep', '1', '--dir', dir, '--yes', '--json']);
    expect(run.code).toBe(0);
    expect(json(run).kept.map((s: { name: string }) => s.name)).toEqual([all[0]!.name]);
    const again = hesap(['db', 'snapshot', 'prune', '--older-than', '0s', '--dir', dir, '--json']);
    expect(again.code).toBe(0);
    expect(json(again).removed).toEqual([]);
    expect(json(hesap(['db', 'snapshot', 'list', '--dir', dir, '--json'])).snapshots.map((s: { name: string }) => s.name)).toEqual([all[0]!.name]);
  });

  it('a create killed with SIGKILL halfway leaves no snapshot, and the next create works and cleans up', async () => {
    const big = path.join(tmp.dir, 'big.db');
    const db = openSqlite(big);
    db.exec(`CREATE TABLE small (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO small (v) VALUES ('a'), ('b');
             CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT, n REAL);
             WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 400000)
             INSERT INTO big (id, v, n) SELECT i, printf('row %d with text long enough to take a while to compress: %x', i, i * 2654435761), i * 0.25 FROM c;`);
    db.close();
    const killDir = path.join(tmp.dir, 'kill');
    const child = spawn(process.execPath, [BIN, 'db', 'snapshot', 'create', '--from', 'local', '--local', big, '--dir', killDir, '--json'], { env: cleanEnv(), stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Kill it once it is writing data: the temporary folder holds a data file in progress.
    const writing = () => {
      try {
        return fs
          .readdirSync(killDir)
          .filter((n) => n.startsWith('.tmp-snapshot-'))
          .some((n) => {
            const part = path.join(killDir, n, '0001-big.csv.gz.part');
            return fs.existsSync(part) && fs.statSync(part).size > 64 * 1024;
          });
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 60_000;
    while (!writing() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(writing()).toBe(true);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const leftovers = fs.readdirSync(killDir).filter((n) => n.startsWith('.tmp-snapshot-'));
    expect(leftovers).toHaveLength(1);
    const listed = hesap(['db', 'snapshot', 'list', '--dir', killDir, '--json']);
    expect(listed.code).toBe(0);
    expect(json(listed)).toMatchObject({ snapshots: [], invalid: [] });

    const next = hesap(['db', 'snapshot', 'create', '--from', 'local', '--local', big, '--dir', killDir, '--json']);
    expect(next.code).toBe(0);
    expect(json(next).snapshot.rows).toBe(400002);
    expect(fs.readdirSync(killDir)).toEqual([json(next).snapshot.name]);
    expect(json(hesap(['db', 'snapshot', 'list', '--dir', killDir, '--json'])).snapshots).toHaveLength(1);
    expect(hesap(['db', 'snapshot', 'verify', 'latest', '--dir', killDir]).code).toBe(0);
  }, 180_000);
});
