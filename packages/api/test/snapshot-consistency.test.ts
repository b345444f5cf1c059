import * as path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, tempDir, type TestDatabase } from '@hesap/test-support';
import { snapshot } from '@hesap/api';

/**
 * A snapshot of PostgreSQL is one consistent snapshot of the whole database: while
 * another connection keeps adding parents and children (each in its own transaction),
 * every child in the snapshot has its parent, so a restore can create the foreign key.
 * Were the tables read at different moments, children added between the two reads
 * would arrive without their parents and the restore would fail.
 */
describe('a snapshot taken while the database is being written', () => {
  const tmp = tempDir('hesap-snapshot-consistency');
  let source: TestDatabase;
  let target: TestDatabase;

  beforeAll(async () => {
    source = await createTestDatabase('snap_src');
    target = await createTestDatabase('snap_dst');
    await source.query(`
      CREATE TABLE parent (id bigserial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE child (id bigserial PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parent (id), note text);
      INSERT INTO parent (name) SELECT 'parent ' || i FROM generate_series(1, 200000) AS i;
      INSERT INTO child (parent_id, note) SELECT id, repeat('x', 40) FROM parent;
      ANALYZE;
    `);
  });
  afterAll(async () => {
    await source.drop();
    await target.drop();
    tmp.cleanup();
  });

  it('restores with every foreign key resolving, though rows kept arriving during the read', async () => {
    const writer = new Client({ connectionString: source.url });
    await writer.connect();
    let stop = false;
    let inserted = 0;
    let insertedWhileReading = 0;
    let reading = false;
    // Each statement is its own transaction: a parent, then a child that points at it.
    const loop = (async () => {
      while (!stop) {
        const { rows } = await writer.query<{ id: string }>(`INSERT INTO parent (name) VALUES ('late') RETURNING id::text AS id`);
        await writer.query(`INSERT INTO child (parent_id, note) VALUES ($1, 'late')`, [rows[0]!.id]);
        inserted++;
        if (reading) insertedWhileReading++;
      }
    })();
    try {
      const created = await snapshot.create({
        from: source.url,
        kind: 'remote',
        dir: path.join(tmp.dir, 'snapshots'),
        progressIntervalMs: 0,
        onProgress: (e) => {
          if (e.table === 'parent' && e.phase === 'start') reading = true;
          if (e.table === 'child' && e.phase === 'done') reading = false;
        },
      });
      stop = true;
      await loop;
      // The writer really wrote while the tables were read.
      expect(insertedWhileReading).toBeGreaterThan(0);
      const counts = Object.fromEntries(created.tables.map((t) => [t.table, t.rows]));
      expect(counts.parent).toBeGreaterThanOrEqual(200000);
      // A parent may be in without its child (they are two transactions), never the other way round.
      expect(counts.parent! - counts.child!).toBeGreaterThanOrEqual(0);
      expect(counts.parent! - counts.child!).toBeLessThanOrEqual(1);

      const restored = await snapshot.restore({ snapshot: created.snapshot.path, to: target.url });
      expect(restored.check.ok).toBe(true);
      const fks = await target.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'child'::regclass AND contype = 'f'`);
      expect(fks.map((f) => f.def)).toEqual(['FOREIGN KEY (parent_id) REFERENCES parent(id)']);
      const [orphans] = await target.query<{ n: string }>(`SELECT count(*)::text AS n FROM child c WHERE NOT EXISTS (SELECT 1 FROM parent p WHERE p.id = c.parent_id)`);
      expect(orphans!.n).toBe('0');
      const [rows] = await target.query<{ parents: string; children: string }>(`SELECT (SELECT count(*) FROM parent)::text AS parents, (SELECT count(*) FROM child)::text AS children`);
      expect([Number(rows!.parents), Number(rows!.children)]).toEqual([counts.parent, counts.child]);
      // The source went on past the snapshot.
      const [now] = await source.query<{ n: string }>(`SELECT count(*)::text AS n FROM parent`);
      expect(Number(now!.n)).toBe(200000 + inserted);
      expect(Number(now!.n)).toBeGreaterThan(counts.parent!);
    } finally {
      stop = true;
      await loop.catch(() => undefined);
      await writer.end();
    }
  });
});
