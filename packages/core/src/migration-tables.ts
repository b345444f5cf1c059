import type { Note, Schema, Table } from './schema';

/**
 * Schema-migration bookkeeping: the table in which an ORM or migration tool records which
 * migrations it applied to this database (Django, Alembic, Prisma, Knex, Rails, Sequelize,
 * Drizzle, TypeORM, Flyway, Entity Framework). Each database keeps its own: pushing a
 * developer's record into production would double Django's (no unique key, the times
 * differ) or give Alembic a second version row.
 */
export const MIGRATION_TABLES: readonly string[] = [
  'django_migrations',
  'alembic_version',
  '_prisma_migrations',
  'knex_migrations',
  'knex_migrations_lock',
  'schema_migrations',
  'ar_internal_metadata',
  'SequelizeMeta',
  '__drizzle_migrations',
  'typeorm_migrations',
  'flyway_schema_history',
  '__EFMigrationsHistory',
];

/** TypeORM's default name is too common to go by alone: its columns say whose it is. */
const TYPEORM_DEFAULT = { name: 'migrations', columns: ['id', 'name', 'timestamp'] };

/** `include`: migration tables move like any other. `auto` (default): see {@link migrationTablesStayHome}. */
export type MigrationTablesSetting = 'auto' | 'include';

const folded = (name: string) => name.toLowerCase();
const KNOWN = new Set(MIGRATION_TABLES.map(folded));

/** True for a known schema-migration bookkeeping table, matched by name (case aside). */
export function isMigrationTable(table: Table): boolean {
  if (KNOWN.has(folded(table.name))) return true;
  if (folded(table.name) !== TYPEORM_DEFAULT.name) return false;
  const columns = table.columns.map((c) => c.name).sort();
  return columns.length === TYPEORM_DEFAULT.columns.length && columns.every((c, i) => c === TYPEORM_DEFAULT.columns[i]);
}

/**
 * The tables to move, with migration bookkeeping left home where the target keeps its own:
 * a known migration table is left out when the target already has that table, unless it was
 * named (`named`: the tables the user listed) or the setting says `include`. Where the target
 * has none (a first deploy creating the whole schema) it travels with the schema, so the ORM
 * sees its schema as migrated and does not make it again. One note names what stayed.
 *
 * @example
 * const { tables, notes } = migrationTablesStayHome(selected, targetSchema, { named: options.tables });
 */
export function migrationTablesStayHome(
  selected: readonly Table[],
  target: Schema,
  options: { named?: readonly string[]; setting?: MigrationTablesSetting } = {},
): { tables: Table[]; notes: Note[] } {
  if (options.setting === 'include') return { tables: [...selected], notes: [] };
  const named = new Set(options.named ?? []);
  const theirs = new Set(target.tables.map((t) => folded(t.name)));
  const home = selected.filter((t) => !named.has(t.name) && isMigrationTable(t) && theirs.has(folded(t.name)));
  if (home.length === 0) return { tables: [...selected], notes: [] };
  const names = home.map((t) => t.name);
  const note: Note = {
    level: 'info',
    code: 'MIGRATION_TABLES_LEFT_HOME',
    message:
      `Left out ${names.join(', ')}: the target keeps its own record of applied migrations.` +
      ` Name ${names.length === 1 ? 'it' : 'them'} in --tables, or set "migrationTables": "include", to copy ${names.length === 1 ? 'it' : 'them'}.`,
  };
  return { tables: selected.filter((t) => !home.includes(t)), notes: [note] };
}
