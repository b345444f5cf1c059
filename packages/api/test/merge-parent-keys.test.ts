import * as path from 'node:path';
import { databasePerTest, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';
import { push, type PushResult } from '@hesap/api';

/**
 * A merged child row whose parent is not among the pushed parent rows is skipped and named
 * (asked for with skipOrphans; by default such rows refuse the push, see orphans.test.ts).
 * When the parent's pushed keys are every whole number from the lowest to the highest, that
 * is a range test on the child's value; otherwise a join with the parent's rows. These cases
 * sit on both sides of that line: a key one past either end, a key in a gap, keys of parent
 * rows set aside as identical to production's (outside the staging table, but pushed), and a
 * parent row skipped for a collision.
 */

const SCHEMA = `
  CREATE TABLE parents (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
  CREATE TABLE children (id INTEGER PRIMARY KEY AUTOINCREMENT, parent_id INTEGER REFERENCES parents (id), note TEXT);
`;

/** Parents without a natural key: pushed again unchanged, they are set aside as identical (not matched by name). */
const PLAIN = SCHEMA.replace('name TEXT NOT NULL UNIQUE', 'name TEXT NOT NULL');

function localFile(file: string, parents: number[], children: Array<number | null>, schema = SCHEMA): string {
  return writeSqlite(file, schema, (db) => {
    db.exec('PRAGMA foreign_keys = OFF');
    const parent = db.prepare('INSERT INTO parents (id, name) VALUES (?, ?)');
    const child = db.prepare('INSERT INTO children (id, parent_id, note) VALUES (?, ?, ?)');
    for (const id of parents) parent.run(id, `parent ${id}`);
    children.forEach((p, i) => child.run(i + 1, p, `to ${p}`));
  });
}

function skippedChildren(result: PushResult): string[] {
  const t = result.tables.find((x) => x.table === 'children')!;
  return t.skipped.map((s) => `${s.targetKey}: ${s.reason}`).sort();
}

async function childParents(pg: TestDatabase): Promise<Array<string | null>> {
  const rows = await pg.query<{ p: string | null }>(`SELECT p.name AS p FROM children c LEFT JOIN parents p ON p.id = c.parent_id ORDER BY c.id`);
  return rows.map((r) => r.p);
}

describe('merge: a child whose parent is not pushed', () => {
  const tmp = tempDir('hesap-merge-parent-keys');
  const local = path.join(tmp.dir, 'app.db');
  const pg = databasePerTest('merge_parent_keys');
  afterAll(() => tmp.cleanup());

  const missing = (k: number) => `parent_id=${k}: its parent row in "parents" does not exist in the source`;

  it('parents 1..5 without gaps: one past either end is missing, the ends and NULL are not', async () => {
    localFile(local, [1, 2, 3, 4, 5], [1, 5, 0, 6, null, 3]);
    // Production already holds rows, so this is a merge with a staging table.
    await pg.query(`CREATE TABLE parents (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE)`);
    await pg.query(`CREATE TABLE children (id bigserial PRIMARY KEY, parent_id bigint REFERENCES parents (id), note text)`);
    await pg.query(`INSERT INTO parents (id, name) VALUES (100, 'production only')`);
    const result = await push({ local, remote: pg.url, sourceId: 'app', skipOrphans: true });
    expect(skippedChildren(result)).toEqual([missing(0), missing(6)]);
    expect(await childParents(pg)).toEqual(['parent 1', 'parent 5', null, 'parent 3']);
  });

  it('parents with a gap: a child of the gap is missing', async () => {
    localFile(local, [1, 2, 4, 5, 6], [3, 4, 6, 7]);
    await push({ local: localFile(path.join(tmp.dir, 'first.db'), [1], []), remote: pg.url, sourceId: 'app' });
    const result = await push({ local, remote: pg.url, sourceId: 'app', skipOrphans: true });
    expect(skippedChildren(result)).toEqual([missing(3), missing(7)]);
    expect(await childParents(pg)).toEqual(['parent 4', 'parent 6']);
  });

  it('parents set aside as identical to production count as pushed; around them the range still holds', async () => {
    // The first push lands parents 1..3; pushed again they are identical and leave the stage.
    await push({ local: localFile(path.join(tmp.dir, 'first.db'), [1, 2, 3], [], PLAIN), remote: pg.url, sourceId: 'app' });
    localFile(local, [1, 2, 3, 4, 5, 6], [1, 2, 5, 6, 7, 0], PLAIN);
    const result = await push({ local, remote: pg.url, sourceId: 'app', skipOrphans: true });
    expect(result.tables.find((t) => t.table === 'parents')).toMatchObject({ inserted: 3, unchanged: 3 });
    expect(skippedChildren(result)).toEqual([missing(0), missing(7)]);
    expect(await childParents(pg)).toEqual(['parent 1', 'parent 2', 'parent 5', 'parent 6']);
  });

  it('a gap between the rows set aside and the new ones: a child of the gap is missing', async () => {
    await push({ local: localFile(path.join(tmp.dir, 'first.db'), [1, 2, 3], [], PLAIN), remote: pg.url, sourceId: 'app' });
    localFile(local, [1, 2, 3, 5, 6], [2, 4, 5], PLAIN);
    const result = await push({ local, remote: pg.url, sourceId: 'app', skipOrphans: true });
    expect(skippedChildren(result)).toEqual([missing(4)]);
    expect(await childParents(pg)).toEqual(['parent 2', 'parent 5']);
  });

  it('a parent skipped for a collision takes its children with it, named as skipped', async () => {
    // Matched by name, the local parent 2 is new, and its code is one production already uses.
    writeSqlite(local, SCHEMA.replace('name TEXT NOT NULL UNIQUE', 'name TEXT NOT NULL UNIQUE, code TEXT UNIQUE'), (db) => {
      db.exec(`PRAGMA foreign_keys = OFF;
               INSERT INTO parents (id, name, code) VALUES (1, 'parent 1', 'C1'), (2, 'parent 2', 'TAKEN'), (3, 'parent 3', 'C3');
               INSERT INTO children (id, parent_id, note) VALUES (1, 1, ''), (2, 2, ''), (3, 3, ''), (4, 4, '')`);
    });
    await pg.query(`CREATE TABLE parents (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, code text UNIQUE)`);
    await pg.query(`CREATE TABLE children (id bigserial PRIMARY KEY, parent_id bigint REFERENCES parents (id), note text)`);
    await pg.query(`INSERT INTO parents (id, name, code) VALUES (100, 'production only', 'TAKEN')`);
    const result = await push({ local, remote: pg.url, sourceId: 'app', skipOrphans: true, keys: { parents: ['name'] } });
    expect(result.tables.find((t) => t.table === 'parents')!.skipped).toEqual([expect.objectContaining({ sourceKey: 'id=2', reason: expect.stringMatching(/collides/) })]);
    expect(skippedChildren(result)).toEqual(['parent_id=2: its parent row in "parents" was skipped', missing(4)]);
    expect(await childParents(pg)).toEqual(['parent 1', 'parent 3']);
  });
});
