import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { buildLoadDatabase, compileExample, createTestDatabase, readmeExample, repoRoot, tempDir, type TestDatabase } from '@hesap/test-support';

/**
 * The example in packages/api/README.md is a program: compiled here as a user's strict
 * TypeScript project would compile it (against the built @hesap/api and its types), then
 * run against a real PostgreSQL and a real SQLite file.
 */
describe('the example in packages/api/README.md', () => {
  let db: TestDatabase;
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    db = await createTestDatabase('readme_example');
    tmp = tempDir('hesap-readme-example');
  });
  afterAll(async () => {
    await db.drop();
    tmp.cleanup();
  });

  it('compiles without a type error and runs: push, verify, pull, and a HesapError for an unknown table', () => {
    const source = readmeExample(path.join(repoRoot(), 'packages', 'api', 'README.md'));
    const { js, errors } = compileExample(source, tmp.dir, { '@hesap/api': [path.join(repoRoot(), 'packages', 'api', 'dist', 'index.d.ts')] });
    expect(errors).toEqual([]);
    const local = path.join(tmp.dir, 'app.db');
    buildLoadDatabase(local, { parents: 50 });
    const run = spawnSync(process.execPath, [js], {
      cwd: tmp.dir,
      encoding: 'utf8',
      env: { ...process.env, HESAP_LOCAL_DB: local, DATABASE_URL: db.url, NODE_PATH: path.join(repoRoot(), 'node_modules') },
    });
    expect({ code: run.status, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('children: 100 rows') });
    expect(run.stdout).toContain('parents: 50 inserted, 0 updated, 0 unchanged');
    expect(run.stdout).toContain('same content on both sides');
    expect(run.stdout).toContain(`pulled into ${local}.backup`);
    expect(run.stdout).toMatch(/refused: USAGE: `tables` names "no_such_table"/);
  });
});
