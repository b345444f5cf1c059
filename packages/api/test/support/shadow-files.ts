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
