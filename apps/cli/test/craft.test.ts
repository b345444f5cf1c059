import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildLoadDatabase, createTestDatabase, hesapBin, jsonOf, runHesap, startSilentServer, tempDir, type CliRun, type TestDatabase } from '@hesap/test-support';

/**
 * The CLI as a person meets it: did-you-mean that never runs its guess, usage errors that
 * name the flag and show the usage line, table names checked against both sides, summaries
 * that count what changed, a prompt answered no, a silent server failing within the
 * connect timeout, and logs for people.
 */

describe('the hesap CLI, for people', () => {
  const tmp = tempDir('hesap-craft');
  const local = path.join(tmp.dir, 'app.db');
  let pg: TestDatabase;
  const tablesOf = async () => (await pg.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'"))[0]!.n;

  beforeAll(async () => {
    pg = await createTestDatabase('craft');
    buildLoadDatabase(local, { parents: 30 });
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  const usage = (run: CliRun, line: string) => {
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`→ Usage: ${line}`);
  };

  describe('did you mean', () => {
    it('a mistyped command gets a suggestion and exit 2, and nothing runs', async () => {
      const run = await runHesap(['db', 'pussh', '--local', local, '--remote', pg.url, '--mode', 'replace', '--yes']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Did you mean `hesap db push`?');
      expect(run.stdout).toBe('');
      expect(await tablesOf()).toBe('0');
      for (const [typed, meant] of [
        [['db', 'stauts'], 'hesap db status'],
        [['push'], 'hesap db push'],
        [['db', 'snapshot', 'creat'], 'hesap db snapshot create'],
        [['verison'], 'hesap version'],
      ] as const) {
        const r = await runHesap([...typed]);
        expect({ typed, code: r.code, said: r.stderr.includes(`Did you mean \`${meant}\`?`) }).toEqual({ typed, code: 2, said: true });
      }
      const far = await runHesap(['frobnicate']);
      expect(far.code).toBe(2);
      expect(far.stderr).not.toContain('Did you mean');
      expect(far.stderr).toContain('Run `hesap help`');
    });

    it('with --json the suggestion is the one JSON document', async () => {
      const run = await runHesap(['db', 'pussh', '--json']);
      expect(run.code).toBe(2);
      expect(jsonOf(run).error).toMatchObject({ code: 'USAGE', hints: expect.arrayContaining(['Did you mean `hesap db push`?']) });
    });

    it('a mistyped flag gets a suggestion and the usage line', async () => {
      const run = await runHesap(['db', 'push', '--local', local, '--remote', pg.url, '--mdoe', 'replace', '--yes']);
      usage(run, 'hesap db push [flags]');
      expect(run.stderr).toContain('Unknown flag: --mdoe.');
      expect(run.stderr).toContain('Did you mean `--mode`?');
      expect(await tablesOf()).toBe('0');
    });
  });

  describe('usage errors name the flag or argument and show the usage line', () => {
    it.each([
      [['db', 'copy'], 'Missing the required flags --from, --to.', 'hesap db copy --from <url> --to <url> [flags]'],
      [['db', 'copy', '--from', 'a.db'], 'Missing the required flag --to.', 'hesap db copy --from <url> --to <url> [flags]'],
      [['db', 'snapshot', 'create'], 'Missing the required flag --from.', 'hesap db snapshot create --from local|remote [flags]'],
      [['db', 'snapshot', 'restore', 'latest'], 'Missing the required flag --to.', 'hesap db snapshot restore <snapshot> --to local|remote [flags]'],
      [['db', 'snapshot', 'restore', '--to', 'local'], 'Missing the required argument <snapshot>.', 'hesap db snapshot restore <snapshot> --to local|remote [flags]'],
      [['db', 'snapshot', 'verify', 'a', 'b'], 'Unexpected argument: b.', 'hesap db snapshot verify <snapshot> [flags]'],
      [['db', 'push', '--mode', 'sideways'], 'Expected --mode=sideways to be one of: merge, upsert, append, replace, create.', 'hesap db push [flags]'],
      [['db', 'push', '--connect-timeout', 'soon'], '--connect-timeout', 'hesap db push [flags]'],
      [['db', 'snapshot', 'prune', '--keep', '0'], '--keep', 'hesap db snapshot prune [flags]'],
    ])('%j', async (args, says, line) => {
      const run = await runHesap(args);
      usage(run, line);
      expect(run.stderr.split('\n')[0]).toContain(says);
      const json = await runHesap([...args, '--json']);
      expect(json.code).toBe(2);
      expect(jsonOf(json).error).toMatchObject({ code: 'USAGE', hints: expect.arrayContaining([`Usage: ${line}`]) });
    });
  });

  it('--tables or --exclude naming a table on neither side is a usage error naming it, in every command', async () => {
    const snapshots = path.join(tmp.dir, 'snapshots');
    const first = await runHesap(['db', 'snapshot', 'create', '--from', 'local', '--local', local, '--dir', snapshots, '--json']);
    expect(first.code).toBe(0);
    const sides = ['--local', local, '--remote', pg.url];
    const commands: string[][] = [
      ['db', 'verify', ...sides],
      ['db', 'status', ...sides],
      ['db', 'push', ...sides],
      ['db', 'pull', '--local', path.join(tmp.dir, 'pulled.db'), '--remote', pg.url],
      ['db', 'copy', '--from', local, '--to', pg.url],
      ['db', 'snapshot', 'create', '--from', 'local', '--local', local, '--dir', snapshots],
      ['db', 'snapshot', 'restore', 'latest', '--to', 'local', '--local', path.join(tmp.dir, 'restored.db'), '--dir', snapshots],
    ];
    for (const command of commands) {
      for (const flag of ['--tables', '--exclude']) {
        const run = await runHesap([...command, flag, 'parentz', '--yes', '--json']);
        expect({ command: command.slice(0, 3), flag, code: run.code }).toEqual({ command: command.slice(0, 3), flag, code: 2 });
        expect(jsonOf(run).error).toMatchObject({ code: 'USAGE', table: 'parentz', message: `${flag} names "parentz": no such table on either side.` });
      }
    }
    expect(await tablesOf()).toBe('0');
    expect(fs.existsSync(path.join(tmp.dir, 'pulled.db'))).toBe(false);
  });

  it('status with nothing configured names the flags and variables to set', async () => {
    const empty = tempDir('hesap-empty');
    try {
      const run = await runHesap(['db', 'status'], { cwd: empty.dir });
      expect(run.stdout).toMatch(/local\s+not configured: pass --local <file>, or set HESAP_LOCAL_DB/);
      expect(run.stdout).toMatch(/remote\s+not configured: pass --remote <url> or --target <name>, or set HESAP_REMOTE_URL or RENDER_DATABASE_URL or DATABASE_URL/);
    } finally {
      empty.cleanup();
    }
  });

  describe('summaries count what changed', () => {
    const summary = (run: CliRun) => run.stdout.trim().split('\n').pop()!;

    it('a first push inserts, a second changes nothing and says so, an append of known rows skips them', async () => {
      const first = await runHesap(['db', 'push', '--local', local, '--remote', pg.url]);
      expect(first.code).toBe(0);
      expect(summary(first)).toMatch(/^Pushed 90 rows \(90 inserted; 0 unchanged, 0 skipped\) in 2 tables, /);
      const second = await runHesap(['db', 'push', '--local', local, '--remote', pg.url]);
      expect(second.code).toBe(0);
      expect(summary(second)).toMatch(/^Nothing to change: 90 unchanged, 0 skipped in 2 tables, /);
      expect(second.stdout).not.toMatch(/Pushed/);
      // Every row sent (an incremental append would send none: nothing changed since the push above).
      const append = await runHesap(['db', 'push', '--local', local, '--remote', pg.url, '--mode', 'append', '--no-incremental']);
      expect(append.code).toBe(0);
      expect(summary(append)).toMatch(/^Nothing to change: 0 unchanged, 90 skipped in 2 tables, /);
      const dry = await runHesap(['db', 'push', '--local', local, '--remote', pg.url, '--mode', 'replace', '--dry-run']);
      expect(summary(dry)).toMatch(/^Dry run: would change 90 rows \(90 inserted; 0 unchanged, 0 skipped\) in 2 tables, .* Nothing was committed\.$/);
    });
  });

  it('answering no at the prompt changes nothing, says so plainly, and exits 1', async () => {
    const before = (await pg.query<{ n: string }>('SELECT count(*) AS n FROM children'))[0]!.n;
    // A real terminal for the prompt: script(1) runs hesap on a pseudo-terminal and passes our "n" to it.
    const command = [process.execPath, hesapBin(), 'db', 'push', '--mode', 'replace', '--local', local, '--remote', pg.url].map((a) => `'${a}'`).join(' ');
    const run = spawnSync('script', ['-qec', command, '/dev/null'], { input: 'n\n', encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    expect(run.stdout).toContain(`Replace 90 rows in 2 tables (children 60, parents 30) of database ${pg.name} on 127.0.0.1 with 90 local rows? [y/N]`);
    expect(run.stdout).toContain('Nothing changed.');
    expect(run.stdout).not.toMatch(/Error|USAGE/);
    expect(run.status).toBe(1);
    expect((await pg.query<{ n: string }>('SELECT count(*) AS n FROM children'))[0]!.n).toBe(before);
  });

  it('a server that accepts and never answers fails within --connect-timeout in all, not once per attempt', async () => {
    const silent = await startSilentServer();
    try {
      const run = await runHesap(['db', 'push', '--local', local, '--remote', silent.url('postgresql://u@127.0.0.1/db'), '--connect-timeout', '2']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/Error \[CONNECTION_TIMEOUT\] No answer from 127\.0\.0\.1:\d+ within the connect timeout/);
      expect(run.stderr).toContain('raise --connect-timeout');
      expect(silent.accepted()).toBe(1);
      // 2 s, plus Node's start; 4 attempts of 2 s and their backoff would be 11.5 s.
      expect(run.durationMs).toBeLessThan(9000);
    } finally {
      await silent.close();
    }
  });

  it('an unknown host name is said as such, and not retried', async () => {
    const run = await runHesap(['db', 'push', '--local', local, '--remote', 'postgresql://u@no-such-host.invalid/db', '--log-level', 'info']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Error [HOST_UNKNOWN] The host name no-such-host.invalid cannot be resolved.');
    expect(run.stderr).not.toMatch(/Attempt \d failed/);
  });

  describe('logs', () => {
    it('are one readable line each on stderr; JSON lines when asked off a terminal, and in --log-file', async () => {
      const pretty = await runHesap(['db', 'status', '--local', local, '--remote', pg.url, '--log-level', 'info']);
      expect(pretty.stderr).toMatch(/^info {2}Connected to postgresql:\/\/\S+; /m);
      expect(pretty.stderr).not.toContain('{"');
      const json = await runHesap(['db', 'status', '--local', local, '--remote', pg.url, '--log-level', 'info', '--log-format', 'json']);
      const lines = json.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
      expect(lines[0]).toMatchObject({ level: 'info', command: 'db:status', msg: expect.stringMatching(/^Connected to /) });
      const file = path.join(tmp.dir, 'hesap.log');
      const logged = await runHesap(['db', 'status', '--local', local, '--remote', pg.url, '--log-level', 'info', '--log-file', file]);
      expect(logged.stderr).toBe('');
      expect(JSON.parse(fs.readFileSync(file, 'utf8').trim().split('\n')[0]!)).toMatchObject({ level: 'info', msg: expect.stringMatching(/^Connected to /) });
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    });
  });

  it('version, help and -h', async () => {
    const version = await runHesap(['version', '--json']);
    expect(jsonOf(version)).toMatchObject({ name: 'hesap', version: expect.stringMatching(/^\d+\.\d+\.\d+$/), node: process.versions.node });
    expect((await runHesap(['--version'])).stdout).toMatch(/^hesap\/\d+\.\d+\.\d+ /);
    const help = await runHesap(['help', 'db', 'push']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('$ hesap db push');
    for (const args of [['-h'], ['db', '-h'], ['db', 'push', '-h'], ['db', 'snapshot', 'restore', '-h']]) {
      const r = await runHesap(args);
      expect({ args, code: r.code, usage: r.stdout.includes('USAGE') }).toEqual({ args, code: 0, usage: true });
    }
  });
});
