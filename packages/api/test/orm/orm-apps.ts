import { execFile, execFileSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * The model app "hesap paylaş" as each ORM writes it (tools/orm-apps): one script per ORM,
 * run as its own process, as the app would run, so each ORM's driver settings stay its own.
 */

const APPS = path.resolve(__dirname, '../../../../tools/orm-apps');

export const TABLES = ['users', 'groups', 'group_members', 'orders'] as const;
export type AppTable = (typeof TABLES)[number];

/** The objects of each table as the ORM read them, relations named by natural key, values tagged by type. */
export type Objects = Record<AppTable, Record<string, unknown>[]>;

export interface ReadBack {
  objects: Objects;
  /** The highest id of each table with ids of its own. */
  max_id: Record<'users' | 'groups' | 'orders', number | null>;
  /** The ORM's record of applied migrations (empty for ORMs that keep none). */
  bookkeeping: string[];
}

export interface Written {
  ids: Record<'users' | 'groups' | 'orders', number[]>;
}

export interface OrmApp {
  name: string;
  /** The app records applied migrations in the database (django_migrations, knex_migrations, schema_migrations). */
  keepsMigrations: boolean;
  /** Why the app cannot run on this machine, or undefined when it can. */
  missing(): string | undefined;
  /** The ORM makes its schema: in a new SQLite file, or in a PostgreSQL database (the app's own start-up step). */
  makeSqlite(file: string): Promise<unknown>;
  makePg(url: string): Promise<unknown>;
  /** Writes a set of rows from data.json (`local` or `production`) through the models. */
  fill(target: string, set: 'local' | 'production'): Promise<Written>;
  readBack(target: string): Promise<ReadBack>;
  /** Inserts the `new` rows without ids, as the app does after a deploy. */
  insertNew(target: string): Promise<Written>;
}

interface ScriptApp {
  name: string;
  keepsMigrations: boolean;
  /** The interpreter and the script. */
  command: string;
  script: string;
  /** Why the app cannot run, checked once. */
  probe: () => string | undefined;
}

/** The start and the end of a long output: Node prints the error first, Python and Ruby last. */
function excerpt(text: string, lines = 8): string {
  const all = text.trim().split('\n');
  return all.length <= 2 * lines ? all.join('\n') : [...all.slice(0, lines), '…', ...all.slice(-lines)].join('\n');
}

function runScript(app: ScriptApp, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      app.command,
      [path.join(APPS, app.script), ...args],
      // TZ: the JavaScript ORMs write and read naive datetimes in the process's zone.
      { env: { ...process.env, TZ: 'UTC', PYTHONDONTWRITEBYTECODE: '1' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${app.name} ${args[0]} failed (exit ${error.code ?? error.signal}):\n${excerpt(stderr || error.message)}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`${app.name} ${args[0]} printed no JSON:\n${excerpt(stdout)}\n${excerpt(stderr)}`));
        }
      },
    );
  });
}

function scriptApp(spec: ScriptApp): OrmApp {
  let missing: string | undefined | null = null;
  const run = (...args: string[]) => runScript(spec, args);
  return {
    name: spec.name,
    keepsMigrations: spec.keepsMigrations,
    missing: () => (missing === null ? (missing = spec.probe()) : missing),
    makeSqlite: (file) => run('make-sqlite', file),
    makePg: (url) => run('make-pg', url),
    fill: (target, set) => run('fill', target, set) as Promise<Written>,
    readBack: (target) => run('read-back', target, '--json') as Promise<ReadBack>,
    insertNew: (target) => run('insert-new', target) as Promise<Written>,
  };
}

/** Runs `command args` and says what failed, or undefined when it ran. */
function probeCommand(command: string, args: string[], what: string): string | undefined {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
    return undefined;
  } catch {
    return `${what} is not installed (.ci/run installs it)`;
  }
}

function probeModules(modules: string[]): string | undefined {
  const absent = modules.filter((m) => {
    try {
      require.resolve(m, { paths: [APPS] });
      return false;
    } catch {
      return true;
    }
  });
  return absent.length ? `npm packages missing: ${absent.join(', ')} (npm install)` : undefined;
}

// Debian's packages live under /usr/bin/python3, not a pyenv or venv python3 first on PATH.
const PYTHON = '/usr/bin/python3';
const RUBY = '/usr/bin/ruby';

export const typeormApp = scriptApp({
  name: 'TypeORM',
  keepsMigrations: false,
  command: process.execPath,
  script: 'node/typeorm-app.js',
  probe: () => probeModules(['typeorm', 'reflect-metadata', 'better-sqlite3', 'pg']),
});

export const sequelizeApp = scriptApp({
  name: 'Sequelize',
  keepsMigrations: false,
  command: process.execPath,
  script: 'node/sequelize-app.js',
  probe: () => probeModules(['sequelize', 'sqlite3', 'pg']),
});

export const knexApp = scriptApp({
  name: 'Knex',
  keepsMigrations: true,
  command: process.execPath,
  script: 'node/knex-app.js',
  probe: () => probeModules(['knex', 'better-sqlite3', 'pg']),
});

export const sqlalchemyApp = scriptApp({
  name: 'SQLAlchemy',
  keepsMigrations: false,
  command: PYTHON,
  script: 'python/sqlalchemy_app.py',
  probe: () => probeCommand(PYTHON, ['-c', 'import sqlalchemy, psycopg2'], 'python3-sqlalchemy or python3-psycopg2'),
});

export const djangoApp = scriptApp({
  name: 'Django',
  keepsMigrations: true,
  command: PYTHON,
  script: 'python/django_app.py',
  probe: () => probeCommand(PYTHON, ['-c', 'import django, psycopg2'], 'python3-django or python3-psycopg2'),
});

export const activerecordApp = scriptApp({
  name: 'ActiveRecord',
  keepsMigrations: true,
  command: RUBY,
  script: 'ruby/activerecord_app.rb',
  probe: () => probeCommand(RUBY, ['-e', 'require "active_record"; require "sqlite3"; require "pg"'], 'ruby-activerecord, ruby-sqlite3 or ruby-pg'),
});
