import * as fc from 'fast-check';
import { createTestDatabase, execSqlite, type TestDatabase } from '@hesap/test-support';
import { pull, push, verify, type PushOptions } from '@hesap/api';
import { filePerTest } from './support/shadow-files';

/**
 * An incremental push profiles only the rows that go when the whole table's profile at the
 * last push decided the same as they do (issue 23: the push after 100 changed rows spent most
 * of its time profiling a million unchanged ones). When they decide otherwise, the whole
 * table is profiled, as a full push would. Either way the target ends as a full push leaves
 * it: checked with verify (every value as hesap reads it, on both sides) and against a full
 * push of the same file into another database.
 */

const SCHEMA = `
  CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, starts DATETIME, price DECIMAL(10,2), flag INTEGER, tag TEXT);
  INSERT INTO events (title, starts, price, flag, tag) VALUES
    ('a', '2026-01-05 10:00:00', 10.5, 0, 'x'), ('b', '2026-01-06 11:30:00', 7, 1, NULL), ('c', NULL, 3.25, 0, 'long tag value'),
    ('d', '2026-02-01 09:15:00', 12, 1, 'y'), ('e', '2026-03-10 18:45:00', NULL, NULL, 'z');
`;

/** The profile decisions a push's log tells (see SqliteSource.profile). */
function profiling(lines: string[]): Array<'sent rows' | 'whole table'> {
  return lines.flatMap((l) => (/that go: they decide as the whole table did/.test(l) ? ['sent rows' as const] : /decide otherwise than the whole table did/.test(l) ? ['whole table' as const] : []));
}

async function pushLogged(options: PushOptions): Promise<{ lines: string[]; result: Awaited<ReturnType<typeof push>> }> {
  const lines: string[] = [];
  const result = await push({ ...options, log: (_level, message) => lines.push(message) });
  return { lines, result };
}

describe('an incremental push profiles the rows that go', () => {
  const { pg, make } = filePerTest('inc_profile');

  it('rows that decide as the table did: only they are profiled, and the target is as a full push leaves it', async () => {
    const file = make(SCHEMA);
    await push({ local: file, remote: pg.url });
    execSqlite(file, `UPDATE events SET title = 'a2', price = 11 WHERE id = 1; INSERT INTO events (title, starts, price, flag, tag) VALUES ('f', '2026-04-01 08:00:00', 4.75, 1, 'long tag value')`);
    const { lines, result } = await pushLogged({ local: file, remote: pg.url });
    expect(result.incremental).toMatchObject({ used: true });
    expect(profiling(lines)).toEqual(['sent rows']);
    expect((await verify({ local: file, remote: pg.url })).same).toBe(true);
  });

  it('rows that decide otherwise (narrower: one date form where the table has two; wider: a new form) make the whole table profiled', async () => {
    const file = make(`${SCHEMA} UPDATE events SET starts = '2026-01-06T11:30:00' WHERE id = 2;`);
    await push({ local: file, remote: pg.url });
    // The row edited holds the form most rows have: alone it decides a narrower form than the table's.
    execSqlite(file, `UPDATE events SET title = 'a3' WHERE id = 1`);
    const narrower = await pushLogged({ local: file, remote: pg.url });
    expect(profiling(narrower.lines)).toEqual(['whole table']);
    expect((await verify({ local: file, remote: pg.url })).same).toBe(true);
    // Now the row with the other form is edited: alone it decides its own form, not the table's.
    execSqlite(file, `UPDATE events SET title = 'b2' WHERE id = 2`);
    const other = await pushLogged({ local: file, remote: pg.url });
    expect(profiling(other.lines)).toEqual(['whole table']);
    expect((await verify({ local: file, remote: pg.url })).same).toBe(true);
  });

  it('rows a merging pull brought in were never profiled by a push: the next push profiles the whole table', async () => {
    const file = make(SCHEMA);
    await push({ local: file, remote: pg.url });
    await pg.query(`INSERT INTO events (title, starts, price, flag, tag) VALUES ('prod', '2026-05-05 05:05:05', 1.5, 0, 'p')`);
    await pull({ local: file, remote: pg.url, mode: 'merge' });
    execSqlite(file, `UPDATE events SET title = 'a4' WHERE id = 1`);
    const { lines } = await pushLogged({ local: file, remote: pg.url });
    expect(profiling(lines)).toEqual([]);
    // Profiled whole, that push's record holds the table's decision again.
    execSqlite(file, `UPDATE events SET title = 'a5' WHERE id = 1`);
    expect(profiling((await pushLogged({ local: file, remote: pg.url })).lines)).toEqual(['sent rows']);
    expect((await verify({ local: file, remote: pg.url })).same).toBe(true);
  });

  it('other policies than at the last push: the whole table is profiled', async () => {
    const file = make(SCHEMA);
    await push({ local: file, remote: pg.url });
    execSqlite(file, `UPDATE events SET title = 'a6' WHERE id = 1`);
    const { lines } = await pushLogged({ local: file, remote: pg.url, policies: { invalidText: 'replace' } });
    expect(profiling(lines)).toEqual(['whole table']);
  });
});

describe('an incremental push profiles the rows that go, property', () => {
  const { pg, make } = filePerTest('inc_profile_prop');

  it('random edits of values of many forms, pushed incrementally into one database and whole (with --update) into another: both hold the same after every push', async () => {
    const value = fc.oneof(
      fc.constantFrom("'2026-01-05 10:00:00'", "'2026-01-05T10:00:00'", "'2026-01-05 10:00:00.123'", "'2026-01-05'", 'NULL', "'soon'"),
      fc.constantFrom('1', '0', '2', '1.5', "'x'", 'NULL', '12345678901', "'ğüşiöç'"),
    );
    const edit = fc.record({ id: fc.integer({ min: 1, max: 7 }), column: fc.constantFrom('starts', 'flag', 'tag', 'price'), value });
    const other = await createTestDatabase('inc_profile_full');
    const rows = async (db: TestDatabase) => (await db.query<{ r: unknown }>(`SELECT row_to_json(e)::text AS r FROM events e ORDER BY id`)).map((x) => x.r);
    let sentOnly = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(edit, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), async (rounds) => {
          for (const db of [pg, other]) await db.query(`DROP SCHEMA public CASCADE; DROP SCHEMA IF EXISTS _hesap CASCADE; CREATE SCHEMA public`);
          const file = make(`DROP TABLE IF EXISTS events; ${SCHEMA}`);
          await push({ local: file, remote: pg.url });
          await push({ local: file, remote: other.url, incremental: false });
          for (const round of rounds) {
            for (const e of round) execSqlite(file, `UPDATE events SET ${e.column} = ${e.value} WHERE id = ${e.id}`);
            const lines: string[] = [];
            const outcome = (p: Promise<unknown>) => p.then(() => 'pushed', (error: Error) => error.message);
            const incremental = await outcome(push({ local: file, remote: pg.url, log: (_l, m) => lines.push(m) }));
            const full = await outcome(push({ local: file, remote: other.url, incremental: false, update: true }));
            sentOnly += profiling(lines).filter((p) => p === 'sent rows').length;
            expect(incremental).toBe(full);
            if (full !== 'pushed') return;
            expect(await rows(pg)).toEqual(await rows(other));
          }
        }),
        { numRuns: 15 },
      );
    } finally {
      await other.drop();
    }
    // The shortcut was taken in some of the pushes (edits that keep the table's forms).
    expect(sentOnly).toBeGreaterThan(0);
  });
});
