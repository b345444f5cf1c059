import * as path from 'node:path';
import Database from 'better-sqlite3';
import { HesapError } from '@hesap/core';
import { sqliteAdapter } from '@hesap/adapter-sqlite';
import { tempDir } from '@hesap/test-support';

// The profile scan shared with helper threads: the same decisions as one thread, on the
// session's own snapshot, and the plain path whenever the helpers cannot be had.

const ROWS = 150_000;
const FORCE = { profileHelpers: { count: 2, minBytes: 0 } };
const ALONE = { profileHelpers: { count: 0 } };

let dir: string;
let cleanup: () => void;
let file: string;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('hesap-profile-helpers'));
  file = path.join(dir, 'app.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, total DECIMAL(10,2), placed DATETIME, note TEXT, flag BOOLEAN)`);
  const insert = db.prepare('INSERT INTO orders (id, total, placed, note, flag) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= ROWS; i++) {
      // Rowids with a gap, so the ranges are not all equally full; one surprise in each range.
      const id = i < ROWS / 2 ? i : i + 1_000_000;
      const placed = i === ROWS - 10 ? '2024-02-30 10:00:00' : `2024-0${1 + (i % 9)}-1${i % 10} 0${i % 10}:00:00`;
      insert.run(id, i === 3 ? 7 : (i % 1000) / 100, placed, i % 7 === 0 ? null : `note ${i}`, i % 2);
    }
  })();
  db.close();
});

afterAll(() => cleanup());

async function profile(options: object) {
  const source = await sqliteAdapter.openSource(file, options);
  try {
    const schema = await source.introspect({ profile: true });
    return { columns: schema.tables[0]!.columns.map((c) => [c.name, c.type, c.precision, c.scale]), notes: schema.notes, rows: await source.countRows(schema.tables[0]!) };
  } finally {
    await source.close();
  }
}

it('decides every column as one thread does, the surprises in any range included', async () => {
  const alone = await profile(ALONE);
  const helped = await profile(FORCE);
  expect(helped).toEqual(alone);
  // The checks still see a late surprise: an impossible date near the end makes the column text.
  expect(alone.columns).toEqual([
    ['id', 'integer', undefined, undefined],
    ['total', 'decimal', 10, 2],
    ['placed', 'text', undefined, undefined],
    ['note', 'text', undefined, undefined],
    ['flag', 'boolean', undefined, undefined],
  ]);
  expect(helped.rows).toBe(ROWS);
});

it('fails naming the row when a value cannot be kept, with helpers as without', async () => {
  const db = new Database(file);
  db.prepare(`UPDATE orders SET total = 'n/a' WHERE id = ?`).run(1_000_000 + ROWS - 5);
  db.close();
  try {
    for (const options of [ALONE, FORCE]) {
      const error = await profile(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HesapError);
      expect((error as HesapError).message).toContain(`Table "orders", column "total", row id=${1_000_000 + ROWS - 5}`);
    }
  } finally {
    const fix = new Database(file);
    fix.prepare(`UPDATE orders SET total = 1.5 WHERE id = ?`).run(1_000_000 + ROWS - 5);
    fix.close();
  }
});

it('holds writers off while the helpers open their reads, so all read the same snapshot', async () => {
  const writer = new Database(file, { timeout: 0 });
  let attempt: unknown = 'not tried';
  const source = await sqliteAdapter.openSource(file, {
    profileHelpers: {
      ...FORCE.profileHelpers,
      whileLocked: () => {
        try {
          writer.prepare(`UPDATE orders SET total = 'late' WHERE id = 10`).run();
          attempt = 'written';
        } catch (error) {
          attempt = (error as { code?: string }).code;
        }
      },
    },
  });
  try {
    expect(attempt).toBe('SQLITE_BUSY');
    // A write after the helpers started is not seen by any of them.
    writer.prepare(`UPDATE orders SET total = 'late' WHERE id = ?`).run(1_000_000 + ROWS - 1);
    const schema = await source.introspect({ profile: true });
    expect(schema.tables[0]!.columns.find((c) => c.name === 'total')!.type).toBe('decimal');
  } finally {
    await source.close();
    writer.prepare(`UPDATE orders SET total = 1.5 WHERE id = ?`).run(1_000_000 + ROWS - 1);
    writer.close();
  }
});

it('profiles on one thread when another connection holds the write lock', async () => {
  const holder = new Database(file);
  holder.exec('BEGIN IMMEDIATE');
  try {
    let helpersStarted = false;
    const busy = { profileHelpers: { ...FORCE.profileHelpers, whileLocked: () => (helpersStarted = true) } };
    expect(await profile(busy)).toEqual(await profile(ALONE));
    // The lock was not to be had, so no helper was started: the session profiled on its own.
    expect(helpersStarted).toBe(false);
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
});
