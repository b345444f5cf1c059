'use strict';
// hesap paylaş with Knex: the schema comes from a Knex migration (so knex_migrations and
// knex_migrations_lock exist on both sides), and the rows are read through the small row
// mappers a Knex app writes itself. On SQLite those mappers undo what Knex and better-sqlite3
// store (a Date as epoch milliseconds, a boolean as 0/1, JSON as text); on PostgreSQL they
// expect node-postgres' own types and pass anything else through as it came.
const knexFactory = require('knex');
const { canon, isPg, run, utc } = require('./common');

const createPaylas = {
  up: async (knex) => {
    await knex.schema.createTable('users', (t) => {
      t.increments('id');
      t.string('email', 255).notNullable().unique();
      t.string('name', 100).notNullable();
      t.boolean('is_active').notNullable().defaultTo(true);
      t.boolean('is_admin').notNullable().defaultTo(false);
      t.timestamps(false, true);
    });
    await knex.schema.createTable('groups', (t) => {
      t.increments('id');
      t.string('code', 12).notNullable().unique();
      t.string('name', 100).notNullable();
      t.integer('created_by').unsigned().notNullable().references('id').inTable('users');
      t.datetime('created_at').notNullable().defaultTo(knex.fn.now());
    });
    await knex.schema.createTable('group_members', (t) => {
      t.integer('group_id').unsigned().notNullable().references('id').inTable('groups').onDelete('CASCADE');
      t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
      t.datetime('joined_at').notNullable();
      t.primary(['group_id', 'user_id']);
    });
    await knex.schema.createTable('orders', (t) => {
      t.increments('id');
      t.integer('group_id').unsigned().notNullable().references('id').inTable('groups').onDelete('CASCADE');
      t.integer('creator_id').unsigned().notNullable().references('id').inTable('users');
      t.decimal('total', 10, 2).notNullable();
      t.json('data');
      t.datetime('created_at').notNullable().defaultTo(knex.fn.now());
    });
  },
  down: async (knex) => {
    for (const table of ['orders', 'group_members', 'groups', 'users']) await knex.schema.dropTable(table);
  },
};

const migrationSource = {
  getMigrations: async () => ['20240101000000_create_paylas'],
  getMigrationName: (name) => name,
  getMigration: async () => createPaylas,
};

function open(target) {
  return isPg(target)
    ? knexFactory({ client: 'pg', connection: target, migrations: { migrationSource } })
    : knexFactory({ client: 'better-sqlite3', connection: { filename: target }, useNullAsDefault: true, migrations: { migrationSource } });
}

async function using(target, work) {
  const knex = open(target);
  try {
    return await work(knex);
  } finally {
    await knex.destroy();
  }
}

/** The app's row mappers: on SQLite they read back what Knex stored; on PostgreSQL the driver's types stand. */
function mappers(pg) {
  const date = (v) => (!pg && typeof v === 'number' ? canon(new Date(v)) : canon(v));
  const bool = (v) => (!pg && (v === 0 || v === 1) ? v === 1 : v);
  const json = (v) => (!pg && typeof v === 'string' ? canon(JSON.parse(v)) : canon(v));
  // Knex declares decimal(10, 2) as `float` in SQLite, so its apps take an amount as a number
  // or (node-postgres' numeric) a string alike.
  const decimal = (v) => canon(v, typeof v === 'number' ? 'number' : 'string');
  return { date, bool, json, decimal };
}

const app = {
  make: (target) =>
    using(target, async (knex) => {
      await knex.migrate.latest();
      return { made: isPg(target) ? 'pg' : 'better-sqlite3' };
    }),

  write: (target, data) =>
    using(target, (knex) =>
      knex.transaction(async (trx) => {
        const users = new Map((await trx('users').select('id', 'email')).map((u) => [u.email, u.id]));
        const groups = new Map((await trx('groups').select('id', 'code')).map((g) => [g.code, g.id]));
        const made = { users: [], groups: [], orders: [] };
        const insert = async (table, row) => (await trx(table).insert(row, ['id']))[0].id;
        for (const u of data.users) {
          users.set(u.email, await insert('users', { email: u.email, name: u.name, is_active: u.is_active, is_admin: u.is_admin, created_at: utc(u.created_at), updated_at: utc(u.updated_at) }));
          made.users.push(users.get(u.email));
        }
        for (const g of data.groups) {
          groups.set(g.code, await insert('groups', { code: g.code, name: g.name, created_by: users.get(g.created_by), created_at: utc(g.created_at) }));
          made.groups.push(groups.get(g.code));
        }
        for (const m of data.group_members) {
          await trx('group_members').insert({ group_id: groups.get(m.group), user_id: users.get(m.user), joined_at: utc(m.joined_at) });
        }
        for (const o of data.orders) {
          // Knex leaves JSON to the app: node-postgres would send an array as a PostgreSQL array.
          made.orders.push(await insert('orders', { group_id: groups.get(o.group), creator_id: users.get(o.creator), total: o.total, data: JSON.stringify(o.data), created_at: utc(o.created_at) }));
        }
        return { ids: made };
      }),
    ),

  readBack: (target) =>
    using(target, async (knex) => {
      const { date, bool, json, decimal } = mappers(isPg(target));
      const objects = {
        users: (await knex('users')).map((u) => ({ email: u.email, name: u.name, is_active: bool(u.is_active), is_admin: bool(u.is_admin), created_at: date(u.created_at), updated_at: date(u.updated_at) })),
        groups: (await knex('groups as g').join('users as u', 'u.id', 'g.created_by').select('g.*', 'u.email as creator_email')).map((g) => ({ code: g.code, name: g.name, created_by: g.creator_email, created_at: date(g.created_at) })),
        group_members: (await knex('group_members as m').join('groups as g', 'g.id', 'm.group_id').join('users as u', 'u.id', 'm.user_id').select('m.joined_at', 'g.code', 'u.email')).map((m) => ({ group: m.code, user: m.email, joined_at: date(m.joined_at) })),
        orders: (await knex('orders as o').join('groups as g', 'g.id', 'o.group_id').join('users as u', 'u.id', 'o.creator_id').select('o.*', 'g.code', 'u.email')).map((o) => ({ group: o.code, creator: o.email, total: decimal(o.total), data: json(o.data), created_at: date(o.created_at) })),
      };
      const max = async (table) => Number((await knex(table).max({ n: 'id' }))[0].n);
      const max_id = { users: await max('users'), groups: await max('groups'), orders: await max('orders') };
      const bookkeeping = (await knex('knex_migrations').orderBy('name').select('name')).map((r) => r.name);
      return { objects, max_id, bookkeeping };
    }),
};

run(app);
