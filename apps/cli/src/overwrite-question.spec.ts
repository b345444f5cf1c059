import type { PreviewResult } from '@hesap/api';
import { overwriteQuestion, tableCounts } from './overwrite-question';

const server = { location: 'postgresql://app:***@db.example.com/shop', host: 'db.example.com', database: 'shop' };
const file = { location: '/srv/app.db' };

function found(existing: Array<[string, number]> | undefined, incoming = 4100): PreviewResult {
  const tables = existing?.map(([table, rows]) => ({ table, rows }));
  return {
    from: file,
    to: server,
    incoming: { tables: [{ table: 'users', rows: incoming }], rows: incoming },
    ...(tables ? { existing: { tables, rows: tables.reduce((n, t) => n + t.rows, 0) } } : {}),
  };
}

describe('overwriteQuestion', () => {
  it('names the database and its host, the target, and the rows replaced per table and in all', () => {
    expect(overwriteQuestion(found([['users', 3], ['orders', 5205], ['groups', 2]]), { local: true, remote: 'to', target: 'production' })).toBe(
      'Replace 5,210 rows in 3 tables (orders 5,205, users 3, groups 2) of database shop on db.example.com (target production) with 4,100 local rows?',
    );
  });

  it('names a file by its path, and the remote it reads from', () => {
    const pull = { ...found([['users', 1]], 1), from: server, to: file };
    expect(overwriteQuestion(pull, { remote: 'from', target: 'staging' })).toBe(
      'Replace 1 row in 1 table (users 1) of /srv/app.db with 1 row from database shop on db.example.com (target staging)?',
    );
  });

  it('says so when none of the tables is there yet, and when the target cannot be read', () => {
    expect(overwriteQuestion(found([]), { local: true, remote: 'to' })).toBe(
      'Load 4,100 local rows into database shop on db.example.com (it has none of these tables yet: no rows there are replaced)?',
    );
    expect(overwriteQuestion({ ...found(undefined), to: { location: 'mysql://root:***@127.0.0.1/shop' } }, {})).toBe(
      'Replace the content of the tables in mysql://root:***@127.0.0.1/shop with 4,100 rows from /srv/app.db?',
    );
  });

  it('a merge of a snapshot', () => {
    expect(overwriteQuestion({ ...found([['users', 2]], 5), snapshot: 'nightly' }, { merge: true })).toBe(
      'Merge 5 rows from snapshot nightly into the 2 rows in 1 table (users 2) of database shop on db.example.com?',
    );
  });
});

describe('tableCounts', () => {
  it('names the six largest tables, then ...', () => {
    const tables = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((table, i) => ({ table, rows: i * 1000 }));
    expect(tableCounts(tables)).toBe('h 7,000, g 6,000, f 5,000, e 4,000, d 3,000, c 2,000, ...');
    expect(tableCounts(tables.slice(0, 2))).toBe('b 1,000, a 0');
  });
});
