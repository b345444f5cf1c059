import * as path from 'node:path';
import { createTestDatabase, jsonOf, pgFingerprint, runHesap, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';

/**
 * A remote table that exists with an incompatible schema: every push form (--json, human,
 * each mode, dry run) refuses it naming the table and the column, exits 1, and never alters
 * the remote table (no silent ALTER, no row touched).
 */

describe('hesap db push into an existing table with an incompatible schema', () => {
  const tmp = tempDir('hesap-schema');
  let pg: TestDatabase;
  let local: string;
  let before: Awaited<ReturnType<typeof pgFingerprint>>;

  beforeAll(async () => {
    pg = await createTestDatabase('schema');
    await pg.query(`CREATE TABLE items (id bigint PRIMARY KEY, price bigint NOT NULL); INSERT INTO items VALUES (1, 100);`);
    local = writeSqlite(
      path.join(tmp.dir, 'items.db'),
      `CREATE TABLE items (id INTEGER PRIMARY KEY, price TEXT, extra TEXT); INSERT INTO items VALUES (1, 'cheap', 'x'), (2, 'dear', 'y');`,
    );
    before = await pgFingerprint(pg);
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it.each([
    ['merge (default)', []],
    ['replace', ['--mode', 'replace', '--yes']],
    ['upsert', ['--mode', 'upsert']],
    ['append', ['--mode', 'append']],
    ['replace --dry-run', ['--mode', 'replace', '--dry-run']],
  ])('--json, %s: exit 1, one JSON document with SCHEMA_INCOMPATIBLE naming table and column; the remote table unchanged', async (_mode, flags) => {
    const run = await runHesap(['db', 'push', '--local', local, '--remote', pg.url, ...flags, '--json']);
    expect(run.code).toBe(1);
    const doc = jsonOf(run);
    expect(Object.keys(doc)).toEqual(['error']);
    expect(doc.error).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', table: 'items', column: 'price' });
    expect(doc.error.message).toMatch(/"price" is .* in the target but .* in the source/);
    expect(doc.error.message).toMatch(/"extra" does not exist in the target/);
    expect(doc.error.hints.length).toBeGreaterThan(0);
    // Logs may go to stderr; the result document only to stdout.
    expect(run.stderr).not.toContain('"error":');
    expect(await pgFingerprint(pg)).toEqual(before);
  });

  it('human output: one error line naming the table and the column, a hint, no stack; the remote table unchanged', async () => {
    const run = await runHesap(['db', 'push', '--local', local, '--remote', pg.url, '--mode', 'replace', '--yes']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const errors = run.stderr.split('\n').filter((l) => /^Error /.test(l));
    expect(errors).toEqual([expect.stringMatching(/^Error \[SCHEMA_INCOMPATIBLE\] .*"items".*"price"/)]);
    expect(run.stderr).toMatch(/^ {2}→ /m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await pgFingerprint(pg)).toEqual(before);
  });
});
