import * as fs from 'node:fs';
import * as path from 'node:path';
import { execSqlite, pgFingerprint, createTestDatabase, tempDir, type TestDatabase } from '@hesap/test-support';
import { pull, push, verify, type EpochDateOptions, type PushResult, type VerifyResult } from '@hesap/api';
import { TABLES, type Objects, type OrmApp, type ReadBack } from './orm-apps';

/**
 * A developer's journey with one ORM, as issue 19 tells it: the app's ORM made production
 * (PostgreSQL), which holds its own rows (a boot user, sign-ups); the same app on the
 * developer's machine made and filled a SQLite file. The file is pushed, the app reads
 * production back through its models, inserts new rows without ids, the file is pushed
 * again, production is pulled into a new file the app reads, and verify compares. A first
 * deploy pushes the same file into an empty database.
 */
export type JourneyCheck =
  | 'push'
  | 'read back'
  | 'bookkeeping stays'
  | 'insert new'
  | 'second push'
  | 'pull'
  | 'verify'
  | 'deletes'
  | 'pull merge'
  | 'first deploy: push'
  | 'first deploy: read back'
  | 'first deploy: bookkeeping travels'
  | 'first deploy: verify'
  | 'first deploy: insert new'
  | 'first deploy: app starts';

const TITLES: Record<JourneyCheck, string> = {
  push: 'pushes into the production the ORM made, which holds rows of its own, leaving no row out',
  'read back': 'the ORM reads every object back from production with its types and values',
  'bookkeeping stays': "production's record of applied migrations stays as it was",
  'insert new': 'the ORM inserts new rows without ids into production, each id past every existing one',
  'second push': 'a second push changes nothing',
  pull: 'a pull gives a file the ORM reads with the same objects as production',
  verify: 'verify says the pulled file and production are the same',
  deletes:
    "rows deleted in the file go from production with --deletes (children first), the app reads the rest back unchanged; the user production already had stays",
  'pull merge':
    "pull --mode merge brings production's own rows and the ones its app added into the file, which the app reads back as production's (the user deleted here that production kept comes back: its deletion was said once); the next push changes nothing there",
  'first deploy: push': 'first deploy: the push creates the tables in an empty database, leaving no row out',
  'first deploy: read back': 'first deploy: the ORM reads every object back with its types and values',
  'first deploy: bookkeeping travels': 'first deploy: the record of applied migrations travels with the schema',
  'first deploy: verify': 'first deploy: verify says the file and the database are the same',
  'first deploy: insert new': 'first deploy: the ORM inserts new rows without ids, each id past every existing one',
  'first deploy: app starts': "first deploy: the app's own schema step (synchronize, sync, create_all, migrate) runs on the pushed database and changes no object",
};

const NEW = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../tools/orm-apps/data.json'), 'utf8')).new as Record<string, unknown[]>;

/** JSON with object keys sorted, so equal objects print alike. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sortedObjects(objects: Objects): Objects {
  const out = {} as Objects;
  for (const t of TABLES) out[t] = [...(objects[t] ?? [])].sort((a, b) => (stable(a) < stable(b) ? -1 : stable(a) > stable(b) ? 1 : 0));
  return out;
}

/**
 * What production should hold after the push: its own objects and the local ones; a local
 * user whose email production already has is production's user (merge matches by meaning
 * and keeps the target's row), and the local rows that named it now name production's.
 */
function mergedObjects(production: Objects, local: Objects): Objects {
  const emails = new Set(production.users.map((u) => u.email));
  return sortedObjects({
    users: [...production.users, ...local.users.filter((u) => !emails.has(u.email))],
    groups: [...production.groups, ...local.groups],
    group_members: [...production.group_members, ...local.group_members],
    orders: [...production.orders, ...local.orders],
  });
}

/** Tables of a report that did not take every row. */
function leftOut(result: PushResult) {
  return result.tables.filter((t) => t.skipped.length > 0).map((t) => ({ table: t.table, skipped: t.skipped.length, first: t.skipped[0] }));
}

function differing(result: VerifyResult) {
  return result.tables.filter((t) => t.status !== 'same').map((t) => ({ table: t.table, status: t.status, differences: t.differences.slice(0, 3), unmatchedColumns: t.unmatchedColumns }));
}

/** Each step runs once, the first time a check needs it; a check run alone runs the steps before it. */
function once<T>(step: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= step());
}

function expectIdsPast(written: { ids: Record<string, number[]> }, before: ReadBack): void {
  for (const table of ['users', 'groups', 'orders'] as const) {
    const ids = written.ids[table];
    expect(ids).toHaveLength(NEW[table]!.length);
    for (const id of ids) expect({ table, id, past: id > (before.max_id[table] ?? 0) }).toEqual({ table, id, past: true });
  }
}

function expectNewObjectsIn(after: ReadBack, before: ReadBack): void {
  for (const t of TABLES) expect({ table: t, count: after.objects[t].length }).toEqual({ table: t, count: before.objects[t].length + NEW[t]!.length });
  expect(after.objects.users.map((u) => u.email)).toEqual(expect.arrayContaining(NEW.users!.map((u) => (u as { email: string }).email)));
}

/**
 * What the app's project tells hesap (its hesap.config.json): every push, pull and verify of
 * the journey takes it. A Knex app says its dates are epoch milliseconds.
 */
export type ProjectSettings = EpochDateOptions;

/**
 * The journey's checks for one ORM. `knownDefects` names the checks that fail today
 * because of a hesap defect, each with the error it fails with: they run as `it.failing`,
 * so the suite stays green and the fix of the defect turns the check into a failure to
 * unmark. `settings` are the app's own (see {@link ProjectSettings}).
 */
export function describeOrmJourney(app: OrmApp, knownDefects: Partial<Record<JourneyCheck, string>>, settings: ProjectSettings = {}): void {
  const missing = app.missing();
  if (missing) {
    process.stderr.write(`Skipping the ${app.name} ORM tests: ${missing}.\n`);
    describe.skip(`${app.name} app`, () => it('needs its ORM', () => undefined));
    return;
  }
  const check = (name: JourneyCheck, body: () => Promise<void>) => {
    const title = knownDefects[name] ? `${TITLES[name]} [fails today: ${knownDefects[name]}]` : TITLES[name];
    (knownDefects[name] ? it.failing : it)(title, body);
  };

  describe(`${app.name} app: push into the production its ORM made`, () => {
    const tmp = tempDir(`hesap-orm-${app.name.toLowerCase()}`);
    const local = path.join(tmp.dir, 'paylas.db');
    const pulled = path.join(tmp.dir, 'pulled.db');
    let production: TestDatabase;
    let before: ReadBack;
    let localObjects: ReadBack;

    beforeAll(async () => {
      production = await createTestDatabase(`orm_${app.name}`);
      await app.makePg(production.url);
      await app.fill(production.url, 'production');
      before = await app.readBack(production.url);
      await app.makeSqlite(local);
      await app.fill(local, 'local');
      localObjects = await app.readBack(local);
    });
    afterAll(async () => {
      await production?.drop();
      tmp.cleanup();
    });

    const pushed = once(() => push({ local, remote: production.url, ...settings }));
    const afterPush = once(async () => {
      await pushed();
      return app.readBack(production.url);
    });
    const inserted = once(async () => {
      const read = await afterPush();
      const written = await app.insertNew(production.url);
      return { before: read, written, after: await app.readBack(production.url) };
    });
    const pushedAgain = once(async () => {
      await inserted();
      const fingerprint = await pgFingerprint(production);
      const read = await app.readBack(production.url);
      const result = await push({ local, remote: production.url, ...settings });
      return { result, fingerprint, read };
    });
    const pulledFile = once(async () => {
      await pushedAgain();
      await pull({ local: pulled, remote: production.url, ...settings });
      return pulled;
    });

    check('push', async () => {
      const result = await pushed();
      expect(leftOut(result)).toEqual([]);
    });

    check('read back', async () => {
      const read = await afterPush();
      expect(sortedObjects(read.objects)).toEqual(mergedObjects(before.objects, localObjects.objects));
    });

    if (app.keepsMigrations) {
      check('bookkeeping stays', async () => {
        const read = await afterPush();
        expect(read.bookkeeping).toEqual(before.bookkeeping);
      });
    }

    check('insert new', async () => {
      const { before: read, written, after } = await inserted();
      expectIdsPast(written, read);
      expectNewObjectsIn(after, read);
    });

    check('second push', async () => {
      const { result, fingerprint, read } = await pushedAgain();
      const changed = result.tables.filter((t) => t.inserted + t.updated > 0).map((t) => ({ table: t.table, inserted: t.inserted, updated: t.updated }));
      expect(changed).toEqual([]);
      expect(leftOut(result)).toEqual([]);
      expect(await pgFingerprint(production)).toEqual(fingerprint);
      expect(sortedObjects((await app.readBack(production.url)).objects)).toEqual(sortedObjects(read.objects));
    });

    check('pull', async () => {
      const file = await pulledFile();
      const fromProduction = await app.readBack(production.url);
      expect(sortedObjects((await app.readBack(file)).objects)).toEqual(sortedObjects(fromProduction.objects));
    });

    check('verify', async () => {
      const file = await pulledFile();
      const result = await verify({ local: file, remote: production.url, ...settings });
      expect(differing(result)).toEqual([]);
      expect(result.same).toBe(true);
    });

    const deleted = once(async () => {
      await pulledFile();
      const read = await app.readBack(production.url);
      // In the file, with the SQL any app could run: the BODRUM group with its orders and members,
      // Mehmet's order, and the admin (whom production had before the first push: matched by email).
      execSqlite(
        local,
        `DELETE FROM orders WHERE group_id IN (SELECT id FROM groups WHERE code = 'BODRUM') OR creator_id IN (SELECT id FROM users WHERE email = 'mehmet@example.com');
         DELETE FROM group_members WHERE group_id IN (SELECT id FROM groups WHERE code = 'BODRUM') OR user_id IN (SELECT id FROM users WHERE email = 'admin@hesap.app');
         DELETE FROM groups WHERE code = 'BODRUM';
         DELETE FROM users WHERE email = 'admin@hesap.app';`,
      );
      const result = await push({ local, remote: production.url, deletes: true, ...settings });
      return { result, read };
    });

    check('deletes', async () => {
      const { result, read } = await deleted();
      expect(result.incremental).toMatchObject({ used: true });
      expect(result.conflicts).toEqual([]);
      expect(result.tables.filter((t) => (t.deleted ?? 0) > 0).map((t) => [t.table, t.deleted]).sort()).toEqual([
        ['group_members', 2],
        ['groups', 1],
        ['orders', 2],
      ]);
      expect(result.incremental!.tables.find((t) => t.table === 'users')).toMatchObject({ deleted: 1, goneTheirs: 1 });
      const o = read.objects;
      expect(sortedObjects((await app.readBack(production.url)).objects)).toEqual(
        sortedObjects({
          users: o.users,
          groups: o.groups.filter((g) => g.code !== 'BODRUM'),
          group_members: o.group_members.filter((m) => m.group !== 'BODRUM'),
          orders: o.orders.filter((x) => x.group !== 'BODRUM' && x.creator !== 'mehmet@example.com'),
        }),
      );
    });

    check('pull merge', async () => {
      await deleted();
      const result = await pull({ local, remote: production.url, mode: 'merge', ...settings });
      expect(leftOut(result)).toEqual([]);
      expect(result.conflicts).toEqual([]);
      const there = await app.readBack(production.url);
      expect(sortedObjects((await app.readBack(local)).objects)).toEqual(sortedObjects(there.objects));
      const fingerprint = await pgFingerprint(production);
      const again = await push({ local, remote: production.url, ...settings });
      expect(again.tables.filter((t) => t.inserted + t.updated > 0).map((t) => t.table)).toEqual([]);
      expect(await pgFingerprint(production)).toEqual(fingerprint);
    });
  });

  describe(`${app.name} app: first deploy into an empty database`, () => {
    const tmp = tempDir(`hesap-orm-${app.name.toLowerCase()}-first`);
    const local = path.join(tmp.dir, 'paylas.db');
    let empty: TestDatabase;
    let localObjects: ReadBack;

    beforeAll(async () => {
      empty = await createTestDatabase(`orm_${app.name}_first`);
      await app.makeSqlite(local);
      await app.fill(local, 'local');
      localObjects = await app.readBack(local);
    });
    afterAll(async () => {
      await empty?.drop();
      tmp.cleanup();
    });

    const pushed = once(() => push({ local, remote: empty.url, ...settings }));
    const afterPush = once(async () => {
      await pushed();
      return app.readBack(empty.url);
    });

    check('first deploy: push', async () => {
      const result = await pushed();
      expect(leftOut(result)).toEqual([]);
      expect(result.tables.map((t) => t.table)).toEqual(expect.arrayContaining([...TABLES]));
    });

    check('first deploy: read back', async () => {
      const read = await afterPush();
      expect(sortedObjects(read.objects)).toEqual(sortedObjects(localObjects.objects));
    });

    if (app.keepsMigrations) {
      check('first deploy: bookkeeping travels', async () => {
        const read = await afterPush();
        expect(read.bookkeeping).toEqual(localObjects.bookkeeping);
      });
    }

    check('first deploy: verify', async () => {
      await pushed();
      const result = await verify({ local, remote: empty.url, ...settings });
      expect(differing(result)).toEqual([]);
      expect(result.same).toBe(true);
    });

    check('first deploy: insert new', async () => {
      const read = await afterPush();
      const written = await app.insertNew(empty.url);
      expectIdsPast(written, read);
      expectNewObjectsIn(await app.readBack(empty.url), read);
    });

    check('first deploy: app starts', async () => {
      await pushed();
      const read = await app.readBack(empty.url);
      await app.makePg(empty.url);
      expect(sortedObjects((await app.readBack(empty.url)).objects)).toEqual(sortedObjects(read.objects));
    });
  });
}
