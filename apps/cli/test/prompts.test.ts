import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { createTestDatabase, dumpSqlite, fileSha256, hesapBin, openSqlite, pgFingerprint, runHesap, tempDir, writeSqlite, type CliRun, type TestDatabase } from '@hesap/test-support';

/**
 * The questions before hesap destroys data, as users meet them. On a terminal (a
 * pseudo-terminal from util-linux `script`) each names the database written to (its host and
 * database, or the file), the named target, and the rows it would replace, per table and in
 * all, with the rows that come instead; it is asked once, and "no" changes nothing (exit 1).
 * Off a terminal, the usage error says the same. A password in the URL never shows. A
 * database that cannot be read fails as it does with --yes, before anything is asked.
 */

const PASSWORD = 'Prompt-S3cret-pw';

/** Runs hesap on a pseudo-terminal in `cwd`, answering `answer` to whatever it asks. */
function onTerminal(args: string[], cwd: string, answer: string): { code: number | null; transcript: string } {
  const command = [process.execPath, hesapBin(), ...args].map((a) => `'${a}'`).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TERM: 'dumb' };
  for (const key of ['DATABASE_URL', 'RENDER_DATABASE_URL', 'HESAP_REMOTE_URL', 'HESAP_LOCAL_DB']) delete env[key];
  const run = spawnSync('script', ['-qec', command, '/dev/null'], { cwd, input: `${answer}\n`, encoding: 'utf8', env, timeout: 60_000 });
  return { code: run.status, transcript: run.stdout };
}

const errorOf = (run: CliRun): { code: string; message: string; hints: string[] } => JSON.parse(run.stdout).error;

/** A port on this machine that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('questions before overwriting', () => {
  const tmp = tempDir('hesap-prompts');
  const project = path.join(tmp.dir, 'shop');
  const local = path.join(project, 'app.db');
  let pg: TestDatabase;
  let url: string;
  /** The question's name for the remote, chosen by --target production. */
  let remoteName: string;

  beforeAll(async () => {
    pg = await createTestDatabase('prompts');
    const u = new URL(pg.url);
    // The test server trusts 127.0.0.1, so any password is accepted: enough to check it never shows.
    u.password = PASSWORD;
    url = u.toString();
    remoteName = `database ${pg.name} on 127.0.0.1 (target production)`;
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), '{"name": "shop"}\n');
    fs.writeFileSync(path.join(project, 'hesap.config.json'), JSON.stringify({ local: 'app.db', targets: { production: { remote: 'HESAP_PRODUCTION_URL' } } }));
    fs.writeFileSync(path.join(project, '.env'), `HESAP_PRODUCTION_URL=${url}\n`);
    writeSqlite(
      local,
      `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
       CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
       INSERT INTO users VALUES (1, 'ali@example.com'), (2, 'ayse@example.com'), (3, 'can@example.com');
       INSERT INTO groups VALUES (1, 'admins'), (2, 'staff');`,
    );
    expect((await runHesap(['db', 'push', '--target', 'production', '--json'], { cwd: project })).code).toBe(0);
    // The remote holds more users than the file; the file has a table the remote lacks.
    await pg.query(`INSERT INTO users VALUES (4, 'deniz@example.com'), (5, 'ece@example.com')`);
    const db = openSqlite(local);
    db.exec(`CREATE TABLE drafts (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO drafts (body) VALUES ('a'), ('b'), ('c'), ('d');`);
    db.close();
  });
  afterAll(async () => {
    await pg?.drop();
    tmp.cleanup();
  });

  it('push --mode replace names the database, the target and the rows it replaces; "no" leaves the database as it was', async () => {
    const before = await pgFingerprint(pg);
    const run = onTerminal(['db', 'push', '--mode', 'replace', '--target', 'production'], project, 'n');
    expect(run.transcript).toContain(`Replace 7 rows in 2 tables (users 5, groups 2) of ${remoteName} with 9 local rows? [y/N]`);
    expect(run.transcript.match(/\[y\/N\]/g)).toHaveLength(1);
    expect(run.transcript).toContain('Nothing changed.');
    expect(run.transcript).not.toContain(PASSWORD);
    expect(run.code).toBe(1);
    expect(await pgFingerprint(pg)).toEqual(before);
  });

  it('off a terminal the usage error says the same; --tables counts only the tables named', async () => {
    const all = await runHesap(['db', 'push', '--mode', 'replace', '--target', 'production', '--json'], { cwd: project });
    expect(all.code).toBe(2);
    expect(errorOf(all)).toMatchObject({
      code: 'USAGE',
      message: `Replace 7 rows in 2 tables (users 5, groups 2) of ${remoteName} with 9 local rows: this needs confirmation.`,
      hints: expect.arrayContaining(['Pass --yes to confirm when running from a script.']),
    });
    const users = await runHesap(['db', 'push', '--mode', 'replace', '--target', 'production', '--tables', 'users'], { cwd: project });
    expect(users.code).toBe(2);
    expect(users.stderr).toContain(`Error [USAGE] Replace 5 rows in 1 table (users 5) of ${remoteName} with 3 local rows: this needs confirmation.`);
    // A URL given with --remote: the database and host, never the password.
    const given = await runHesap(['db', 'push', '--mode', 'replace', '--local', local, '--remote', url, '--json'], { cwd: tmp.dir });
    expect(errorOf(given).message).toBe(`Replace 7 rows in 2 tables (users 5, groups 2) of database ${pg.name} on 127.0.0.1 with 9 local rows: this needs confirmation.`);
    expect(given.stdout + given.stderr).not.toContain(PASSWORD);
  });

  it('pull over a file names the file, every table it replaces or drops, and the remote; "no" leaves the file as it was', async () => {
    const before = fileSha256(local);
    const run = onTerminal(['db', 'pull', '--target', 'production'], project, 'n');
    expect(run.transcript).toContain(`Replace 9 rows in 3 tables (drafts 4, users 3, groups 2) of ${local} with 7 rows from ${remoteName}? [y/N]`);
    expect(run.transcript).toContain('Nothing changed.');
    expect(run.transcript).not.toContain(PASSWORD);
    expect(run.code).toBe(1);
    expect(fileSha256(local)).toBe(before);
    // A table left out with --exclude stays, and --tables touches only the tables named.
    const kept = await runHesap(['db', 'pull', '--target', 'production', '--exclude', 'groups', '--json'], { cwd: project });
    expect(errorOf(kept).message).toBe(`Replace 7 rows in 2 tables (drafts 4, users 3) of ${local} with 5 rows from ${remoteName}: this needs confirmation.`);
    const named = await runHesap(['db', 'pull', '--target', 'production', '--tables', 'groups', '--json'], { cwd: project });
    expect(errorOf(named).message).toBe(`Replace 2 rows in 1 table (groups 2) of ${local} with 2 rows from ${remoteName}: this needs confirmation.`);
    expect(fileSha256(local)).toBe(before);
  });

  it('copy --mode replace and snapshot restore name what they overwrite', async () => {
    const copied = await runHesap(['db', 'copy', '--from', local, '--to', url, '--mode', 'replace', '--exclude', 'drafts', '--json'], { cwd: tmp.dir });
    expect(errorOf(copied).message).toBe(`Replace 7 rows in 2 tables (users 5, groups 2) of database ${pg.name} on 127.0.0.1 with 5 rows from ${local}: this needs confirmation.`);
    expect(copied.stdout).not.toContain(PASSWORD);
    const dir = path.join(tmp.dir, 'snapshots');
    const created = await runHesap(['db', 'snapshot', 'create', '--from', 'local', '--dir', dir, '--json'], { cwd: project });
    expect(created.code).toBe(0);
    const name = JSON.parse(created.stdout).snapshot.name as string;
    const toRemote = await runHesap(['db', 'snapshot', 'restore', 'latest', '--to', 'remote', '--target', 'production', '--dir', dir, '--json'], { cwd: project });
    expect(errorOf(toRemote).message).toBe(`Replace 7 rows in 2 tables (users 5, groups 2) of ${remoteName} with 9 rows from snapshot ${name}: this needs confirmation.`);
    const before = fileSha256(local);
    const toLocal = onTerminal(['db', 'snapshot', 'restore', name, '--to', 'local', '--dir', dir], project, 'no');
    expect(toLocal.transcript).toContain(`Replace 9 rows in 3 tables (drafts 4, users 3, groups 2) of ${local} with 9 rows from snapshot ${name}? [y/N]`);
    expect(toLocal.code).toBe(1);
    expect(fileSha256(local)).toBe(before);
    // "yes" restores, asked once.
    const other = path.join(project, 'other.db');
    writeSqlite(other, `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users VALUES (9, 'old@example.com');`);
    const yes = onTerminal(['db', 'snapshot', 'restore', name, '--to', 'local', '--local', other, '--dir', dir], project, 'y');
    expect(yes.transcript).toContain(`Replace 1 row in 1 table (users 1) of ${other} with 9 rows from snapshot ${name}? [y/N]`);
    expect(yes.transcript.match(/\[y\/N\]/g)).toHaveLength(1);
    expect(yes.code).toBe(0);
    // The rows are the snapshot's; the file's own users table (no UNIQUE on email) keeps its declaration.
    const restored = dumpSqlite(other);
    const original = dumpSqlite(local);
    expect(restored.tables.users!.uniques).toEqual([]);
    expect({ ...restored, tables: { ...restored.tables, users: { ...restored.tables.users!, uniques: original.tables.users!.uniques } } }).toEqual(original);
  });

  it('a database that cannot be reached fails as with --yes, and nothing is asked', async () => {
    const nowhere = `postgresql://app:${PASSWORD}@127.0.0.1:${await closedPort()}/shop`;
    const args = ['db', 'push', '--mode', 'replace', '--local', local, '--remote', nowhere, '--json'];
    const [unasked, confirmed] = await Promise.all([runHesap(args, { cwd: tmp.dir }), runHesap([...args, '--yes'], { cwd: tmp.dir })]);
    expect(errorOf(confirmed).code).toBe('CONNECTION_REFUSED');
    expect({ code: unasked.code, error: errorOf(unasked) }).toEqual({ code: confirmed.code, error: errorOf(confirmed) });
    expect(unasked.stdout + unasked.stderr).not.toContain(PASSWORD);
  });
});
