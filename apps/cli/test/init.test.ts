import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotEnv } from 'dotenv';
import { createTestDatabase, hesapBin, openSqlite, tempDir, type TestDatabase } from '@hesap/test-support';

/**
 * `hesap init` end to end: with flags (the URL on stdin, never on the command line), and on
 * a terminal (a pseudo-terminal from util-linux `script`), where the URL is typed at a
 * prompt that does not echo it. The URL goes to .env, the rest to hesap.config.json,
 * `.hesap/` ends up ignored by git, an entry holding another value is replaced only when
 * the user says yes, and the status that follows reaches both sides.
 */

const ENV_KEYS = ['DATABASE_URL', 'RENDER_DATABASE_URL', 'HESAP_REMOTE_URL', 'HESAP_LOCAL_DB', 'HESAP_STATE_DIR'];

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ENV_KEYS) delete env[key];
  return env;
}

function hesap(args: string[], cwd: string, input = '') {
  const r = spawnSync(process.execPath, [hesapBin(), ...args], { cwd, env: cleanEnv(), input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `hesap init` on a pseudo-terminal, answering each prompt once it shows. */
function onTerminal(cwd: string, answers: Array<[RegExp, string]>): Promise<{ code: number | null; transcript: string }> {
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(hesapBin())} init`;
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd, env: { ...cleanEnv(), TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let transcript = '';
  let next = 0;
  const answer = () => {
    const waiting = answers[next];
    if (waiting && waiting[0].test(transcript)) {
      next++;
      child.stdin.write(`${waiting[1]}\r`);
    }
  };
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    transcript += s;
    answer();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, transcript });
    }),
  );
}

function project(root: string, name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, 'prisma'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name": "app"}\n');
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
  // A Prisma project: its own DATABASE_URL is the local SQLite file, relative to prisma/.
  fs.writeFileSync(path.join(dir, '.env'), '# Prisma\nDATABASE_URL="file:./dev.db"  # the app\'s own database\n');
  fs.writeFileSync(path.join(dir, 'prisma', 'schema.prisma'), 'datasource db {\n  provider = "sqlite"\n  url = env("DATABASE_URL")\n}\n');
  const db = openSqlite(path.join(dir, 'prisma', 'dev.db'));
  db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE); INSERT INTO users VALUES (1, 'ali@example.com');`);
  db.close();
  spawnSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

const ignoredByGit = (dir: string, file: string) => spawnSync('git', ['check-ignore', '-q', file], { cwd: dir }).status === 0;

describe('hesap init', () => {
  const tmp = tempDir('hesap-init');
  let pg: TestDatabase;
  let url: string;
  let other: string;

  beforeAll(async () => {
    pg = await createTestDatabase('init');
    const u = new URL(pg.url);
    u.password = 'init-S3cret-pw';
    url = u.toString();
    u.password = 'another-S3cret';
    other = u.toString();
  });
  afterAll(async () => {
    await pg?.drop();
    tmp.cleanup();
  });

  it('with flags: writes .env, hesap.config.json and .gitignore, then the status reaches both sides', () => {
    const dir = project(tmp.dir, 'flags');
    const run = hesap(['init', '--target', 'production', '--remote-from-stdin', '--json'], dir, `${url}\n`);
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout);
    expect(result.written).toEqual(['HESAP_PRODUCTION_URL in .env', 'target "production" in hesap.config.json', '.hesap/, .env in .gitignore']);
    const env = parseDotEnv(fs.readFileSync(path.join(dir, '.env')));
    expect(env).toEqual({ DATABASE_URL: 'file:./dev.db', HESAP_PRODUCTION_URL: url });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'hesap.config.json'), 'utf8'))).toEqual({ targets: { production: { remote: 'HESAP_PRODUCTION_URL' } } });
    expect(ignoredByGit(dir, '.hesap/state.json')).toBe(true);
    expect(ignoredByGit(dir, '.env')).toBe(true);
    // The status: Prisma's file is the local side, the target the remote; the password nowhere.
    expect(result.status.local).toMatchObject({ reachable: true, location: path.join(dir, 'prisma', 'dev.db') });
    expect(result.status.configuration.local.notes[0]).toMatch(/relative to .*prisma, the folder of schema\.prisma/);
    expect(result.status.remote).toMatchObject({ reachable: true });
    expect(result.status.configuration.remote.source).toBe(`target "production": HESAP_PRODUCTION_URL (${path.join(dir, '.env')})`);
    expect(run.stdout).not.toContain('init-S3cret-pw');
    // The target is chosen by name; without one, hesap asks for it rather than guessing.
    const pushed = hesap(['db', 'push', '--target', 'production', '--json'], dir);
    expect(JSON.parse(pushed.stdout).tables).toEqual([expect.objectContaining({ table: 'users', inserted: 1 })]);
    const unnamed = hesap(['db', 'push', '--json'], dir);
    expect(JSON.parse(unnamed.stdout).error).toMatchObject({ code: 'CONFIG_MISSING', message: expect.stringMatching(/choose one with --target/) });
    // Again with another URL: left alone off a terminal, replaced with --yes.
    const kept = JSON.parse(hesap(['init', '--target', 'production', '--remote-from-stdin', '--json'], dir, `${other}\n`).stdout);
    expect(kept.conflicts).toEqual(['HESAP_PRODUCTION_URL in .env']);
    expect(parseDotEnv(fs.readFileSync(path.join(dir, '.env'))).HESAP_PRODUCTION_URL).toBe(url);
    const replaced = JSON.parse(hesap(['init', '--target', 'production', '--remote-from-stdin', '--yes', '--json'], dir, `${other}\n`).stdout);
    expect(replaced.written).toEqual(['HESAP_PRODUCTION_URL in .env']);
    expect(parseDotEnv(fs.readFileSync(path.join(dir, '.env'))).HESAP_PRODUCTION_URL).toBe(other);
    expect(fs.readFileSync(path.join(dir, '.env'), 'utf8')).toMatch(/^# Prisma\nDATABASE_URL="file:.\/dev.db"  # the app's own database\n/);
  });

  it('on a terminal: asks, does not echo the URL, and asks before replacing an entry', async () => {
    const dir = project(tmp.dir, 'terminal');
    const first = await onTerminal(dir, [
      [/Local SQLite file:/, './prisma/dev.db'],
      [/Remote PostgreSQL URL/, url],
    ]);
    expect(first.code).toBe(0);
    expect(first.transcript).not.toContain('init-S3cret-pw');
    expect(first.transcript).toMatch(/wrote {2}HESAP_REMOTE_URL in \.env/);
    expect(first.transcript).toMatch(/remote {2}postgresql:\/\/[^\s]*:\*\*\*@\S+ {2}reachable/);
    expect(parseDotEnv(fs.readFileSync(path.join(dir, '.env'))).HESAP_REMOTE_URL).toBe(url);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'hesap.config.json'), 'utf8'))).toEqual({ local: './prisma/dev.db' });
    expect(ignoredByGit(dir, '.hesap/snapshots/x/manifest.json')).toBe(true);
    // Another URL: "no" keeps the entry, "yes" replaces it.
    for (const [reply, expected] of [
      ['n', url],
      ['y', other],
    ] as const) {
      const again = await onTerminal(dir, [
        [/Local SQLite file:/, ''],
        [/Remote PostgreSQL URL/, other],
        [/Replace\? \[y\/N\]/, reply],
      ]);
      expect({ reply, code: again.code, leaked: again.transcript.includes('another-S3cret') }).toEqual({ reply, code: 0, leaked: false });
      expect(parseDotEnv(fs.readFileSync(path.join(dir, '.env'))).HESAP_REMOTE_URL).toBe(expected);
    }
  }, 120_000);
});
