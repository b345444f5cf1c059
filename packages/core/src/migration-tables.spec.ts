import { isMigrationTable, MIGRATION_TABLES, migrationTablesStayHome } from './migration-tables';
import type { Schema, Table } from './schema';

function tbl(name: string, columns: string[] = ['id', 'name']): Table {
  return { name, columns: columns.map((c) => ({ name: c, type: 'text', declaredType: 'TEXT', nullable: true })), uniques: [], foreignKeys: [], indexes: [] };
}

function schema(tables: Table[]): Schema {
  return { dialect: 'test', tables, views: [], notes: [] };
}

describe('isMigrationTable', () => {
  it('knows every listed bookkeeping table by name, case aside', () => {
    for (const name of MIGRATION_TABLES) expect({ name, is: isMigrationTable(tbl(name)) }).toEqual({ name, is: true });
    expect(isMigrationTable(tbl('sequelizemeta'))).toBe(true);
    expect(isMigrationTable(tbl('users'))).toBe(false);
    expect(isMigrationTable(tbl('django_migrations_archive'))).toBe(false);
  });

  it("takes a table named migrations only with TypeORM's columns", () => {
    expect(isMigrationTable(tbl('migrations', ['id', 'timestamp', 'name']))).toBe(true);
    expect(isMigrationTable(tbl('migrations', ['id', 'name', 'batch', 'migration_time']))).toBe(false);
    expect(isMigrationTable(tbl('migrations', ['id', 'timestamp']))).toBe(false);
  });
});

describe('migrationTablesStayHome', () => {
  const local = [tbl('users'), tbl('django_migrations'), tbl('alembic_version')];

  it('leaves out the bookkeeping tables the target already has, with one note naming them', () => {
    const { tables, notes } = migrationTablesStayHome(local, schema([tbl('users'), tbl('django_migrations'), tbl('alembic_version')]));
    expect(tables.map((t) => t.name)).toEqual(['users']);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ level: 'info', code: 'MIGRATION_TABLES_LEFT_HOME' });
    expect(notes[0]!.message).toMatch(/django_migrations, alembic_version/);
  });

  it('lets them travel where the target has none of them (a first deploy)', () => {
    expect(migrationTablesStayHome(local, schema([])).tables.map((t) => t.name)).toEqual(['users', 'django_migrations', 'alembic_version']);
    // Only the one the target has stays home.
    expect(migrationTablesStayHome(local, schema([tbl('users'), tbl('alembic_version')])).tables.map((t) => t.name)).toEqual(['users', 'django_migrations']);
  });

  it('copies them when named, or when the setting says include', () => {
    const target = schema([tbl('users'), tbl('django_migrations'), tbl('alembic_version')]);
    expect(migrationTablesStayHome(local, target, { named: ['users', 'django_migrations'] }).tables.map((t) => t.name)).toEqual(['users', 'django_migrations']);
    const all = migrationTablesStayHome(local, target, { setting: 'include' });
    expect(all.tables.map((t) => t.name)).toEqual(['users', 'django_migrations', 'alembic_version']);
    expect(all.notes).toEqual([]);
  });
});
