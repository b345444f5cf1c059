import { Client } from 'pg';
import { HesapError } from '@hesap/core';
import { createTestDatabase, type TestDatabase } from '@hesap/test-support';
import { MergeExecutor } from '../src/merge/executor';

// The executor that sends a merge's statements in as few messages as their results allow,
// against a real server: what it batches, how it reports an error inside a batch, and the
// savepoint-guarded steps.

let db: TestDatabase;
let client: Client;
/** Every simple query the client sends (one message each). */
let messages: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('merge_executor');
  client = new Client({ connectionString: db.url });
  await client.connect();
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    if (typeof args[0] === 'string') messages.push(args[0]);
    return query(...args);
  };
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

beforeEach(async () => {
  await client.query('BEGIN');
  await client.query('CREATE TEMP TABLE t (id int PRIMARY KEY, v text) ON COMMIT DROP');
  messages = [];
});

afterEach(async () => {
  await client.query('ROLLBACK');
});

async function failure(work: () => Promise<unknown>): Promise<HesapError> {
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HesapError);
  return error as HesapError;
}

it('sends what is queued with the first statement whose answer is awaited, one result per statement', async () => {
  const exec = new MergeExecutor(client, 'orders');
  exec.send(`INSERT INTO t VALUES (1, 'a'), (2, 'b')`);
  const updated = exec.ask(`UPDATE t SET v = 'c' WHERE id = 2`);
  const count = exec.ask('SELECT count(*)::int AS n FROM t');
  expect(messages).toEqual([]);
  expect((await count).rows).toEqual([{ n: 2 }]);
  expect((await updated).rowCount).toBe(1);
  expect(messages).toHaveLength(1);
  // A statement with parameters goes alone, after what was queued before it.
  exec.send(`DELETE FROM t WHERE id = 1`);
  const r = await exec.query('SELECT v FROM t WHERE id = $1', [2]);
  expect(r.rows).toEqual([{ v: 'c' }]);
  expect(messages.slice(1)).toEqual(['DELETE FROM t WHERE id = 1', 'SELECT v FROM t WHERE id = $1']);
  expect((await client.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 1 }]);
});

it('reports an error inside a batch with the table and its own SQLSTATE, to every await of that batch and after', async () => {
  const exec = new MergeExecutor(client, 'orders');
  exec.send(`INSERT INTO t VALUES (1, 'a')`);
  const first = exec.ask('SELECT 1 AS one');
  exec.send(`INSERT INTO t VALUES (1, 'again')`);
  const last = exec.ask('SELECT 2 AS two');
  const error = await failure(async () => first);
  expect(error.sqlstate).toBe('23505');
  expect(error.code).toBe('CONSTRAINT_VIOLATION');
  expect(error.table).toBe('t');
  expect(error.message).toMatch(/^Merging "orders": /);
  expect(await failure(async () => last)).toBe(error);
  // Later statements only meet the aborted transaction: the first error is the one reported.
  expect(await failure(async () => exec.ask('SELECT 3'))).toBe(error);
});

it('rolls a guarded step back to its savepoint when it fails as expected, and sends the alternative with the rollback', async () => {
  const exec = new MergeExecutor(client, 'orders');
  exec.send(`INSERT INTO t VALUES (1, 'a')`);
  const done = await exec.guarded('hesap_test', '23505', [`INSERT INTO t VALUES (2, 'b'), (1, 'dup')`], {
    otherwise: [`INSERT INTO t VALUES (2, 'b'), (1, 'dup') ON CONFLICT DO NOTHING`],
  });
  expect(done.held).toBe(false);
  expect(done.results.map((r) => r.rowCount)).toEqual([1]);
  expect(messages).toHaveLength(2);
  const rows = await exec.ask('SELECT id, v FROM t ORDER BY id');
  expect((await rows).rows).toEqual([
    { id: 1, v: 'a' },
    { id: 2, v: 'b' },
  ]);
  const held = await exec.guarded('hesap_test', '23505', [`INSERT INTO t VALUES (3, 'c')`], { after: [`INSERT INTO t VALUES (4, 'd')`] });
  expect(held).toEqual({ held: true, results: [expect.objectContaining({ rowCount: 1 })] });
  expect((await client.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 4 }]);
});

it('does not take an error outside the savepoint for the guarded step failing, even with the expected SQLSTATE', async () => {
  const before = new MergeExecutor(client, 'orders');
  before.send(`INSERT INTO t VALUES (1, 'a')`, `INSERT INTO t VALUES (1, 'a')`);
  const error = await failure(() => before.guarded('hesap_test', '23505', ['SELECT 1'], { otherwise: ['SELECT 2'] }));
  expect(error.sqlstate).toBe('23505');
  await client.query('ROLLBACK');
  await client.query('BEGIN');
  await client.query('CREATE TEMP TABLE t (id int PRIMARY KEY, v text) ON COMMIT DROP');
  const after = new MergeExecutor(client, 'orders');
  const late = await failure(() => after.guarded('hesap_test', '23505', [`INSERT INTO t VALUES (1, 'a')`], { after: [`INSERT INTO t VALUES (1, 'a')`] }));
  expect(late.sqlstate).toBe('23505');
});

it('throws an error of another SQLSTATE inside the savepoint as it came', async () => {
  const exec = new MergeExecutor(client, 'orders');
  const error = await failure(() => exec.guarded('hesap_test', '23505', ['SELECT 1 / 0']));
  expect(error.sqlstate).toBe('22012');
  expect(error.table).toBe('orders');
});

it('sends a queued guarded step in one message with what is queued before and after it', async () => {
  const exec = new MergeExecutor(client, 'orders');
  exec.send(`INSERT INTO t VALUES (1, 'a')`);
  const step = exec.guard('hesap_test', '23505', [`INSERT INTO t VALUES (2, 'b')`], { read: false });
  exec.send(`UPDATE t SET v = v || '!'`);
  const rows = exec.ask('SELECT id, v FROM t ORDER BY id');
  expect(messages).toEqual([]);
  expect((await rows).rows).toEqual([
    { id: 1, v: 'a!' },
    { id: 2, v: 'b!' },
  ]);
  expect((await step).held).toBe(true);
  expect(messages).toHaveLength(1);
});

it('sends what followed a guarded step that failed again after its alternative, in the order queued', async () => {
  const exec = new MergeExecutor(client, 'orders');
  exec.send(`INSERT INTO t VALUES (1, 'a')`);
  const step = exec.guard('hesap_test', '23505', [`INSERT INTO t VALUES (1, 'dup')`], { otherwise: [`INSERT INTO t VALUES (2, 'b')`] });
  exec.send(`UPDATE t SET v = v || '!'`);
  const rows = exec.ask('SELECT id, v FROM t ORDER BY id');
  expect((await rows).rows).toEqual([
    { id: 1, v: 'a!' },
    { id: 2, v: 'b!' },
  ]);
  const done = await step;
  expect(done.held).toBe(false);
  expect(done.results.map((r) => r.rowCount)).toEqual([1]);
  // The message, then the rollback with the alternative and what followed the step.
  expect(messages).toHaveLength(2);
  expect(messages[1]).toMatch(/^ROLLBACK TO SAVEPOINT hesap_test;\nRELEASE SAVEPOINT hesap_test;\nINSERT INTO t VALUES \(2, 'b'\);\nUPDATE t/);
});

it('rolls back the guarded step that failed when a message holds two, the first one held', async () => {
  const exec = new MergeExecutor(client, 'orders');
  exec.send(`INSERT INTO t VALUES (1, 'a')`);
  const first = exec.guard('hesap_one', '23505', [`INSERT INTO t VALUES (2, 'b')`], { read: false });
  const second = exec.guard('hesap_two', '23505', [`INSERT INTO t VALUES (2, 'dup')`], { otherwise: [`INSERT INTO t VALUES (3, 'c')`] });
  const count = exec.ask('SELECT count(*)::int AS n FROM t');
  expect((await count).rows).toEqual([{ n: 3 }]);
  expect((await first).held).toBe(true);
  expect((await second).held).toBe(false);
  // The message; a rollback to the first savepoint, released already (none there); the second's.
  expect(messages).toHaveLength(3);
});

it('sends a statement whose result is read before a guarded step queued after it, in a message of its own', async () => {
  const exec = new MergeExecutor(client, 'orders');
  const one = exec.ask('SELECT 1 AS one');
  const step = exec.guard('hesap_test', '23505', [`INSERT INTO t VALUES (1, 'a'), (1, 'b')`], { otherwise: ['SELECT 2 AS two'] });
  expect((await one).rows).toEqual([{ one: 1 }]);
  expect(await step).toEqual({ held: false, results: [expect.objectContaining({ rows: [{ two: 2 }] })] });
  expect(messages).toHaveLength(3);
  expect(messages[0]).toBe('SELECT 1 AS one');
});
