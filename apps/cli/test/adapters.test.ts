import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, openSqlite, repoRoot, tempDir, type TestDatabase } from '@hesap/test-support';

/** `hesap adapters list`, adapter plugins named in the configuration, and `hesap db copy`. */

const BIN = path.join(repoRoot(), 'apps', 'cli', 'bin', 'run.js');

function hesap(args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of ['DATABASE_URL', 'RENDER_DATABASE_URL', 'HESAP_LOCAL_DB']) delete env[key];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A plugin as another app would publish it: plain JavaScript, an Adapter-shaped class as default export.
const FAKE_PLUGIN = `
class FakeAdapter {
  constructor() { this.name = 'fake'; this.schemes = ['fake']; this.capabilities = { source: true, target: false, consistentRead: false, atomicLoad: false, mergeModes: [], textAllowsNul: false }; }
  accepts(location) { return location.startsWith('fake:'); }
  describe(location) { return location; }
  async probe() { return { reachable: true }; }
  async openSource() { const { HesapError } = require(${JSON.stringify(path.join(repoRoot(), 'packages/core'))}); throw new HesapError('UNSUPPORTED', 'The fake adapter was asked to read.'); }
  async openTarget() { throw new Error('no'); }
}
module.exports = { default: FakeAdapter };
`;

function projectWithPlugin(dir: string, config: 'hesap.config.json' | 'package.json'): void {
  const pkg = path.join(dir, 'node_modules', 'hesap-adapter-fake');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'hesap-adapter-fake', main: 'index.js' }));
  fs.writeFileSync(path.join(pkg, 'index.js'), FAKE_PLUGIN);
  const adapters = ['hesap-adapter-fake'];
  if (config === 'hesap.config.json') fs.writeFileSync(path.join(dir, 'hesap.config.json'), JSON.stringify({ adapters }));
  else fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', hesap: { adapters } }));
}

describe('adapters', () => {
  const tmp = tempDir('hesap-adapters');
  afterAll(() => tmp.cleanup());

  it('lists the built-in adapters with their capabilities', () => {
    const run = hesap(['adapters', 'list', '--json'], tmp.dir);
    expect(run.code).toBe(0);
    const { adapters } = JSON.parse(run.stdout) as { adapters: Array<{ name: string; schemes: string[]; from: string; capabilities: Record<string, unknown> }> };
    expect(adapters.map((a) => a.name)).toEqual(expect.arrayContaining(['sqlite', 'postgres']));
    const postgres = adapters.find((a) => a.name === 'postgres')!;
    expect(postgres).toMatchObject({ schemes: ['postgres', 'postgresql'], from: 'built-in', capabilities: { source: true, target: true, maxIdentifierBytes: 63 } });
    const human = hesap(['adapters', 'list'], tmp.dir);
    expect(human.stdout).toMatch(/postgres\s+postgres: postgresql:\s+yes\s+yes/);
  });

  it('knows mysql:// without configuration, loading the MySQL package only when a URL needs it', () => {
    const { adapters } = JSON.parse(hesap(['adapters', 'list', '--json'], tmp.dir).stdout) as { adapters: Array<{ name: string; schemes: string[]; capabilities: Record<string, unknown> }> };
    expect(adapters.find((a) => a.name === 'mysql')).toMatchObject({ schemes: ['mysql', 'mariadb'], capabilities: { source: true, target: true, consistentRead: true } });
    // A refused connection comes from the MySQL adapter, not "no adapter handles mysql:".
    const run = hesap(['db', 'copy', '--from', 'mysql://root@127.0.0.1:1/none', '--to', path.join(tmp.dir, 'm.db'), '--json'], tmp.dir);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe('CONNECTION_REFUSED');
  });

  it.each(['hesap.config.json', 'package.json'] as const)('registers the adapter packages named in %s', (config) => {
    const dir = path.join(tmp.dir, `plugin-in-${config.replace('.', '-')}`);
    fs.mkdirSync(dir);
    projectWithPlugin(dir, config);
    const run = hesap(['adapters', 'list', '--json'], dir);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).adapters).toContainEqual(expect.objectContaining({ name: 'fake', schemes: ['fake'], from: 'hesap-adapter-fake' }));
    // Commands route the plugin's scheme to it.
    const copy = hesap(['db', 'copy', '--from', 'fake://anything', '--to', path.join(dir, 'out.db'), '--json'], dir);
    expect(copy.code).toBe(1);
    expect(JSON.parse(copy.stdout).error).toMatchObject({ code: 'UNSUPPORTED', message: 'The fake adapter was asked to read.' });
  });

  it('says which configured package is missing, as a configuration error', () => {
    const dir = path.join(tmp.dir, 'missing');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'hesap.config.json'), JSON.stringify({ adapters: ['hesap-adapter-nowhere'] }));
    const run = hesap(['adapters', 'list', '--json'], dir);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('"hesap-adapter-nowhere"') });
  });

  it('names the schemes it knows when none fits', () => {
    const run = hesap(['db', 'copy', '--from', 'oracle://db', '--to', 'x.db', '--json'], tmp.dir);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error.hints.join(' ')).toMatch(/postgres:.*hesap\.config\.json/);
  });
});

describe('hesap db copy', () => {
  const tmp = tempDir('hesap-copy');
  let pg: TestDatabase;
  const source = path.join(tmp.dir, 'source.db');

  beforeAll(async () => {
    pg = await createTestDatabase('copy');
    const db = openSqlite(source);
    db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
             INSERT INTO users VALUES (1, 'ali@example.com'), (2, 'ayse@example.com');`);
    db.close();
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('copies SQLite to PostgreSQL and back, and needs --yes to replace', () => {
    const there = hesap(['db', 'copy', '--from', source, '--to', pg.url, '--json'], tmp.dir);
    expect(there.code).toBe(0);
    expect(JSON.parse(there.stdout)).toMatchObject({ mode: 'create', tables: [{ table: 'users', action: 'create', inserted: 2 }] });

    const back = path.join(tmp.dir, 'back.db');
    expect(hesap(['db', 'copy', '--from', pg.url, '--to', back, '--json'], tmp.dir).code).toBe(0);
    const db = openSqlite(back);
    expect(db.prepare('SELECT id, email FROM users ORDER BY id').all()).toEqual([
      { id: 1, email: 'ali@example.com' },
      { id: 2, email: 'ayse@example.com' },
    ]);
    db.close();

    const again = hesap(['db', 'copy', '--from', source, '--to', pg.url, '--json'], tmp.dir);
    expect(JSON.parse(again.stdout).error.code).toBe('TARGET_NOT_EMPTY');
    const unconfirmed = hesap(['db', 'copy', '--from', source, '--to', pg.url, '--mode', 'replace', '--json'], tmp.dir);
    expect(unconfirmed.code).toBe(2);
    expect(JSON.parse(unconfirmed.stdout).error.code).toBe('USAGE');
    const replaced = hesap(['db', 'copy', '--from', source, '--to', pg.url, '--mode', 'replace', '--yes', '--json'], tmp.dir);
    expect(replaced.code).toBe(0);
    expect(JSON.parse(replaced.stdout).tables[0]).toMatchObject({ action: 'replace', inserted: 2 });
  });
});
