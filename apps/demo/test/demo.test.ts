import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { adminQuery, openSqlite, repoRoot, tempDir, testServerUrl } from '@hesap/test-support';
import { createDemoDatabase } from '../src/demo-database';

/**
 * The demo app as `npm start` runs it (the built bin/demo.js, which runs the built hesap
 * CLI), against the test PostgreSQL server instead of an embedded one.
 */

const BIN = path.join(repoRoot(), 'apps', 'demo', 'bin', 'demo.js');

async function databaseExists(name: string): Promise<boolean> {
  return (await adminQuery(testServerUrl(), 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;
}

function demo(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    for (const key of ['DATABASE_URL', 'RENDER_DATABASE_URL', 'HESAP_REMOTE_URL', 'HESAP_LOCAL_DB']) delete env[key];
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject).on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the demo', () => {
  const tmp = tempDir('hesap-demo');
  afterAll(() => tmp.cleanup());

  it('makes its own database on a server, whatever its name, and drops it', async () => {
    const name = `hesap demo "${randomBytes(3).toString('hex')}"`;
    const database = await createDemoDatabase(testServerUrl(), name);
    try {
      expect(await databaseExists(name)).toBe(true);
      expect(decodeURIComponent(new URL(database.url).pathname.slice(1))).toBe(name);
      expect(await adminQuery(database.url, 'SELECT current_database() AS name')).toEqual([{ name }]);
    } finally {
      await database.drop();
    }
    expect(await databaseExists(name)).toBe(false);
  });

  it('creates the sample database, pushes and verifies it with the hesap CLI, and leaves the server as it was', async () => {
    const dir = path.join(tmp.dir, 'sample');
    const run = await demo(['--remote', testServerUrl(), '--dir', dir], tmp.dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const steps = [...run.stdout.matchAll(/^▶ (hesap db \w+)$/gm)].map((m) => m[1]);
    expect(steps).toEqual(['hesap db status', 'hesap db push', 'hesap db verify', 'hesap db status']);
    expect(run.stdout).toMatch(/Both sides hold the same content\./);
    expect(run.stdout).toMatch(/▶ Done: every table pushed and verified\./);
    // It ends with what to run next on one's own app.
    expect(run.stdout.trim().split('\n').slice(-3).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(['hesap db status', 'hesap db push --dry-run', 'hesap db push']);
    const db = openSqlite(path.join(dir, 'hesap-paylas.db'));
    try {
      expect(db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 60 });
    } finally {
      db.close();
    }
    const name = /remote: \S+\/(hesap_demo_\w+)/.exec(run.stdout)?.[1];
    expect(name).toBeDefined();
    expect(await databaseExists(name!)).toBe(false);
  });

  it('never uses a server configured in the project (.env may name production): an embedded one unless --remote', async () => {
    const dir = path.join(tmp.dir, 'project');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name": "app"}\n');
    fs.writeFileSync(path.join(dir, '.env'), `RENDER_DATABASE_URL=${testServerUrl()}\nDATABASE_URL=${testServerUrl()}\nHESAP_REMOTE_URL=${testServerUrl()}\n`);
    const demos = async () => (await adminQuery(testServerUrl(), `SELECT datname FROM pg_database WHERE datname LIKE 'hesap_demo_%'`)).length;
    const before = await demos();
    const run = await demo(['--dir', path.join(dir, 'sample')], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/No --remote given: starting an embedded PostgreSQL/);
    const port = new URL(testServerUrl()).port || '5432';
    expect(/remote: \S+/.exec(run.stdout)?.[0]).not.toContain(`:${port}/`);
    expect(await demos()).toBe(before);
  }, 180_000);
});
