import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { databasePerTest, execSqlite, tempDir, type TestDatabase } from '@hesap/test-support';

/** The folder of a local file's shadows (see state.ts: a hash of the file's absolute path). */
export function shadowFolder(file: string): string {
  const dir = process.env.HESAP_STATE_DIR;
  if (!dir) throw new Error('HESAP_STATE_DIR is not set: run through jest');
  return path.join(dir, 'shadows', createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 32));
}

/** A local file made from `sql` in a fresh temporary folder per test (its shadows removed after it), and the current test's empty database. */
export function filePerTest(label: string): { file: () => string; pg: TestDatabase; make: (sql: string) => string } {
  const pg = databasePerTest(label);
  let tmp: { dir: string; cleanup: () => void } | undefined;
  let current: string | undefined;
  beforeEach(() => {
    tmp = tempDir(`hesap-${label}`);
    current = path.join(tmp.dir, 'app.db');
  });
  afterEach(() => {
    if (current) fs.rmSync(shadowFolder(current), { recursive: true, force: true });
    tmp?.cleanup();
    current = undefined;
  });
  return {
    pg,
    file: () => current!,
    make: (sql: string) => {
      execSqlite(current!, sql);
      return current!;
    },
  };
}

/** The model app's tables as the shadow tests use them (users, groups, memberships, orders, items), and a few rows of each. */
export const MODEL_SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, invited_by INTEGER REFERENCES users (id));
  CREATE TABLE groups (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL UNIQUE, created_by INTEGER NOT NULL REFERENCES users (id));
  CREATE TABLE group_members (group_id INTEGER NOT NULL REFERENCES groups (id), user_id INTEGER NOT NULL REFERENCES users (id), PRIMARY KEY (group_id, user_id));
  CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users (id), total DECIMAL(10,2) NOT NULL);
  CREATE TABLE order_items (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE, name TEXT NOT NULL);
`;

export const MODEL_SEED = `
  INSERT INTO users (name, email, invited_by) VALUES ('Ali', 'ali@example.com', NULL), ('Ayşe', 'ayse@example.com', 1), ('Can', 'can@example.com', 2);
  INSERT INTO groups (code, created_by) VALUES ('G1', 1), ('G2', 2);
  INSERT INTO group_members VALUES (1, 1), (1, 2), (2, 2), (2, 3);
  INSERT INTO orders (user_id, total) VALUES (1, 412.5), (2, 99), (3, 10.25);
  INSERT INTO order_items (order_id, name) VALUES (1, 'Adana'), (1, 'Ayran'), (2, 'Pide'), (3, 'Çay');
`;
