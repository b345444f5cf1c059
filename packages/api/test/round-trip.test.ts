import * as path from 'node:path';
import { buildEdgeValueDatabase, createTestDatabase, dumpSqlite, sqliteDeclarations, tempDir, type TestDatabase } from '@hesap/test-support';
import { pull, push } from '@hesap/api';

describe('push then pull of the edge-value database', () => {
  let pg: TestDatabase;
  const tmp = tempDir('hesap-edge');
  const original = path.join(tmp.dir, 'edge.db');
  const pulled = path.join(tmp.dir, 'pulled.db');

  beforeAll(async () => {
    pg = await createTestDatabase('edge');
    buildEdgeValueDatabase(original);
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('gives back every row, value and storage class, with the same keys', async () => {
    const pushed = await push({ local: original, remote: pg.url });
    expect(pushed.tables.find((t) => t.table === 'edge_text')?.received).toBe(26);
    await pull({ local: pulled, remote: pg.url });
    expect(dumpSqlite(pulled)).toEqual(dumpSqlite(original));
    expect(sqliteDeclarations(pulled)).toEqual(sqliteDeclarations(original));
  });

  it('creates real constraints and sequences in PostgreSQL', async () => {
    const constraints = await pg.query<{ table: string; type: string }>(
      `SELECT conrelid::regclass::text AS table, contype AS type FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
    );
    const of = (table: string) => constraints.filter((c) => c.table === table).map((c) => c.type);
    expect(of('"user"')).toEqual(['p', 'u']);
    expect(of('edge_tree')).toEqual(['f', 'p']);
    expect(of('edge_pair')).toEqual(['p']);
    expect(of('edge_pair_child')).toEqual(['f', 'p']);
    expect(of('edge_indexed')).toEqual(['p', 'u']);
    // max(id) is 2 but AUTOINCREMENT had handed out 3: the next id is 4, as in SQLite.
    const [seq] = await pg.query<{ id: string }>(`INSERT INTO edge_seq (v) VALUES ('d') RETURNING id::text AS id`);
    expect(seq!.id).toBe('4');
    const [empty] = await pg.query<{ id: string }>(`INSERT INTO edge_empty DEFAULT VALUES RETURNING id::text AS id`);
    expect(empty!.id).toBe('1');
    const [user] = await pg.query<{ id: string }>(`INSERT INTO "user" (email) VALUES ('new@example.com') RETURNING id::text AS id`);
    expect(user!.id).toBe('8');
  });

  it('chooses natural PostgreSQL types where the data allows', async () => {
    const columns = await pg.query<{ t: string; c: string; type: string }>(
      `SELECT table_name AS t, column_name AS c, data_type AS type FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const type = (t: string, c: string) => columns.find((x) => x.t === t && x.c === c)?.type;
    expect(type('edge_bool', 'b')).toBe('boolean');
    expect(type('edge_time', 'at')).toBe('timestamp without time zone');
    expect(type('edge_time', 'day')).toBe('date');
    expect(type('edge_time', 'epoch')).toBe('bigint');
    expect(type('edge_time', 'typeorm_at')).toBe('timestamp without time zone');
    expect(type('edge_json', 'doc')).toBe('json');
    expect(type('edge_decimal', 'price')).toBe('numeric');
    expect(type('edge_blob', 'b')).toBe('bytea');
    expect(type('edge_int', 'n')).toBe('bigint');
    // Declared INTEGER with every value in 32 bits: integer, as an ORM declares it in PostgreSQL.
    expect(type('edge_int', 'id')).toBe('integer');
    expect(type('edge_tree', 'parent_id')).toBe('integer');
    expect(type('edge_float', 'f')).toBe('double precision');
  });
});
