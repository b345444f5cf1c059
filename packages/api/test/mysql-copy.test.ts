import * as path from 'node:path';
import { copy, defaultRegistry } from '@hesap/api';
import { createMysqlDatabase, describeMysql, openSqlite, tempDir, type MysqlTestDatabase } from '@hesap/test-support';

/**
 * `copy` reaches MariaDB/MySQL through @hesap/api alone, as the CLI does: the MySQL
 * adapter is wired in the API's registry, loaded on first use, without any plugin
 * configuration or a registry of the caller's.
 */
describeMysql('copy from mysql:// through @hesap/api', () => {
  const tmp = tempDir('hesap-api-mysql');
  let source: MysqlTestDatabase;

  beforeAll(async () => {
    source = await createMysqlDatabase('api_copy');
    await source.query(`CREATE TABLE members (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(120) NOT NULL UNIQUE, note TEXT NULL) ENGINE=InnoDB`);
    await source.query(`INSERT INTO members (id, email, note) VALUES (1, 'ayse@example.com', 'İstanbul'), (2, 'ali@example.com', NULL), (3, 'can@example.com', '')`);
  });
  afterAll(async () => {
    await source?.drop();
    tmp.cleanup();
  });

  it('copies a MariaDB database into a SQLite file with the default registry', async () => {
    expect(defaultRegistry.forLocation(source.url).name).toBe('mysql');
    const file = path.join(tmp.dir, 'members.db');
    const result = await copy({ from: source.url, to: file });
    expect(result.mode).toBe('create');
    expect(result.tables).toEqual([expect.objectContaining({ table: 'members', action: 'create', received: 3, inserted: 3 })]);
    const db = openSqlite(file);
    try {
      expect(db.prepare('SELECT id, email, note FROM members ORDER BY id').all()).toEqual([
        { id: 1, email: 'ayse@example.com', note: 'İstanbul' },
        { id: 2, email: 'ali@example.com', note: null },
        { id: 3, email: 'can@example.com', note: '' },
      ]);
    } finally {
      db.close();
    }
  });
});
