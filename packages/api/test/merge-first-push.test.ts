import * as path from 'node:path';
import { databasePerTest, tempDir, writeSqlite } from '@hesap/test-support';
import { push } from '@hesap/api';

/**
 * A push that creates a table merges into it in as few round trips as it can: nothing is
 * matched against a table this push created (it is empty), and the merge's statements go in
 * one message, the savepoints of its stage's key index and of its insert included. Rows left
 * out of such a table (under a parent row left out of a table that exists, and their own
 * children in the same table) are left out and named exactly as in any merge, and the
 * identity map learns the keys of the rows that went in.
 */
describe('merge into a table this push creates, under a table that exists', () => {
  const tmp = tempDir('hesap-merge-first-push');
  const pg = databasePerTest('merge_first_push');
  afterAll(() => tmp.cleanup());

  it('leaves out the rows under a skipped parent, and their children, naming each; follows remapped parents; the map learns the rest', async () => {
    // Production already has users (id 1 taken); the local file adds notes, a table production does not have.
    await pg.query(`CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, invited_by integer REFERENCES users (id));
      INSERT INTO users (email) VALUES ('prod@example.com')`);
    const local = writeSqlite(
      path.join(tmp.dir, 'app.db'),
      `CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, invited_by INTEGER REFERENCES users (id));
       CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users (id), parent_id INTEGER REFERENCES notes (id), body TEXT NOT NULL);`,
      (db) => {
        // User 2 was invited by a user deleted since (the app did not enforce the key).
        db.exec('PRAGMA foreign_keys = OFF');
        db.exec(`INSERT INTO users (id, email, invited_by) VALUES (1, 'a@example.com', NULL), (2, 'b@example.com', 99), (3, 'c@example.com', 1)`);
        db.exec(`INSERT INTO notes (id, user_id, parent_id, body) VALUES (1, 1, NULL, 'one'), (2, 2, NULL, 'two'), (3, 1, 2, 'three'), (4, 3, 1, 'four'), (5, 3, 3, 'five')`);
      },
    );

    const result = await push({ local, remote: pg.url, sourceId: 'app', skipOrphans: true });

    const summary = result.tables.map((t) => ({
      table: t.table,
      inserted: t.inserted,
      remapped: t.remapped,
      skipped: t.skipped.map((s) => [s.sourceKey, s.reason, s.constraint, s.targetKey, s.orphan]),
    }));
    expect(summary).toEqual([
      {
        table: 'users',
        inserted: 2,
        remapped: 1,
        skipped: [['id=2', 'its parent row in the same table does not exist', 'users_invited_by_fkey', 'invited_by=99', 'parent-missing']],
      },
      {
        table: 'notes',
        inserted: 2,
        remapped: 0,
        skipped: [
          ['id=2', 'its parent row in "users" was skipped', 'notes_user_id_fkey', 'user_id=2', 'parent-left-out'],
          ['id=3', 'its parent row in the same table was skipped', 'notes_parent_id_fkey', 'parent_id=2', 'parent-left-out'],
          ['id=5', 'its parent row in the same table was skipped', 'notes_parent_id_fkey', 'parent_id=3', 'parent-left-out'],
        ],
      },
    ]);
    // Local user 1 took a new id (production's user 1 holds its own); user 3 kept its id, and the app's next user comes after it.
    expect(await pg.query(`SELECT id::int AS id, email, invited_by::int AS invited_by FROM users ORDER BY id`)).toEqual([
      { id: 1, email: 'prod@example.com', invited_by: null },
      { id: 3, email: 'c@example.com', invited_by: 4 },
      { id: 4, email: 'a@example.com', invited_by: null },
    ]);
    expect(await pg.query(`SELECT id::int AS id, user_id::int AS user_id, parent_id::int AS parent_id, body FROM notes ORDER BY id`)).toEqual([
      { id: 1, user_id: 4, parent_id: null, body: 'one' },
      { id: 4, user_id: 3, parent_id: 1, body: 'four' },
    ]);
    // The map: the one key that changed, and the highest key that stayed the same in each table.
    expect(await pg.query(`SELECT table_name, source_key, target_key FROM _hesap.identity_map ORDER BY table_name, source_key`)).toEqual([{ table_name: 'users', source_key: '1', target_key: '4' }]);
    expect(await pg.query(`SELECT table_name, max_key::int AS max_key FROM _hesap.identity_baseline ORDER BY table_name`)).toEqual([
      { table_name: 'notes', max_key: 4 },
      { table_name: 'users', max_key: 3 },
    ]);
    // The new table's sequence goes on after the local file's (notes 1-5 were handed out there).
    expect(await pg.query(`SELECT last_value::int AS v FROM notes_id_seq`)).toEqual([{ v: 5 }]);

    // The next push, nothing changed: every row is known, nothing written, nothing skipped anew.
    const again = await push({ local, remote: pg.url, sourceId: 'app', skipOrphans: true });
    expect(again.tables.map((t) => [t.table, t.inserted, t.updated])).toEqual(again.tables.map((t) => [t.table, 0, 0]));
  });
});
