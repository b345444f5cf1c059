import { Client } from 'pg';
import type { CheckConstraint, Table } from '@hesap/core';
import { createTestDatabase, type TestDatabase } from '@hesap/test-support';
import { addChecks } from '../src/postgres-checks';
import { mapQueryError } from '../src/postgres-errors';
import { Places } from '../src/postgres-places';

// CHECKs that reach the target other than from a SQLite file hesap read (a snapshot's
// manifest is taken as it is): what PostgreSQL refuses, and shapes that are not the neutral
// form, are listed and leave the transaction usable; nothing is created from them.

let db: TestDatabase;
let client: Client;

beforeAll(async () => {
  db = await createTestDatabase('checks');
  client = new Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

const run = async (sql: string, values?: unknown[]) => {
  try {
    return await client.query(sql, values);
  } catch (error) {
    throw mapQueryError(error, { table: 't' });
  }
};

const table = (checks: CheckConstraint[]): Table => ({
  name: 't',
  columns: [
    { name: 'id', type: 'integer', declaredType: 'INTEGER', nullable: false },
    { name: 'v', type: 'text', declaredType: 'TEXT', nullable: true },
  ],
  primaryKey: { columns: ['id'] },
  uniques: [],
  foreignKeys: [],
  indexes: [],
  checks,
});

it('lists what PostgreSQL refuses and what is not the neutral form, creates the rest, in one transaction', async () => {
  await client.query('BEGIN');
  await client.query(`CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')`);
  const checks = [
    { name: 'text_vs_number', sql: 'v > 1', expression: { kind: 'compare', op: '>', left: { kind: 'column', name: 'v' }, right: { kind: 'number', text: '1' } } },
    { name: 'not_a_number', sql: 'id > x', expression: { kind: 'compare', op: '>', left: { kind: 'column', name: 'id' }, right: { kind: 'number', text: '1); DROP TABLE t; --' } } },
    { name: 'no_column', sql: 'w IS NULL', expression: { kind: 'is-null', value: { kind: 'column', name: 'w' }, negated: false } },
    { name: 'fine', sql: 'id > 0', expression: { kind: 'compare', op: '>', left: { kind: 'column', name: 'id' }, right: { kind: 'number', text: '0' } } },
  ] as CheckConstraint[];
  const { notes, broken } = await addChecks(run, new Places('public'), table(checks));
  expect(broken).toEqual([]);
  expect(notes.map((n) => [n.code, n.constraint])).toEqual([
    ['CHECK_NOT_CREATED', 'text_vs_number'],
    ['CHECK_NOT_CREATED', 'not_a_number'],
    ['CHECK_NOT_CREATED', 'no_column'],
  ]);
  expect(notes[0]!.message).toContain('is not created: PostgreSQL refused it (operator does not exist: text > integer)');
  expect(notes[1]!.message).toContain('is not created: a number is not one');
  expect(notes[2]!.message).toContain('is not created: column "w" is not in the table');
  const made = await client.query(`SELECT conname FROM pg_constraint WHERE contype = 'c' AND conrelid = 't'::regclass ORDER BY 1`);
  expect(made.rows).toEqual([{ conname: 'fine' }]);
  await client.query('ROLLBACK');
});
