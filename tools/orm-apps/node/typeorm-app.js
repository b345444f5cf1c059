'use strict';
// hesap paylaş with TypeORM (entity schemas: the decorator-free form, so no build step); the
// schema comes from `synchronize`.
require('reflect-metadata');
const { DataSource, EntitySchema } = require('typeorm');
const { canon, isPg, run, utc } = require('./common');

const User = new EntitySchema({
  name: 'User',
  tableName: 'users',
  columns: {
    id: { type: 'integer', primary: true, generated: 'increment' },
    email: { type: 'varchar', length: 255, unique: true },
    name: { type: 'varchar', length: 100 },
    isActive: { name: 'is_active', type: 'boolean', default: true },
    isAdmin: { name: 'is_admin', type: 'boolean', default: false },
    createdAt: { name: 'created_at', createDate: true },
    updatedAt: { name: 'updated_at', updateDate: true },
  },
});

const Group = new EntitySchema({
  name: 'Group',
  tableName: 'groups',
  columns: {
    id: { type: 'integer', primary: true, generated: 'increment' },
    code: { type: 'varchar', length: 12, unique: true },
    name: { type: 'varchar', length: 100 },
    createdAt: { name: 'created_at', createDate: true },
  },
  relations: {
    createdBy: { type: 'many-to-one', target: 'User', nullable: false, joinColumn: { name: 'created_by' } },
  },
});

const GroupMember = new EntitySchema({
  name: 'GroupMember',
  tableName: 'group_members',
  columns: {
    groupId: { name: 'group_id', type: 'integer', primary: true },
    userId: { name: 'user_id', type: 'integer', primary: true },
    joinedAt: { name: 'joined_at', type: Date },
  },
  relations: {
    group: { type: 'many-to-one', target: 'Group', onDelete: 'CASCADE', joinColumn: { name: 'group_id' } },
    user: { type: 'many-to-one', target: 'User', onDelete: 'CASCADE', joinColumn: { name: 'user_id' } },
  },
});

const Order = new EntitySchema({
  name: 'Order',
  tableName: 'orders',
  columns: {
    id: { type: 'integer', primary: true, generated: 'increment' },
    total: { type: 'decimal', precision: 10, scale: 2 },
    data: { type: 'json', nullable: true },
    createdAt: { name: 'created_at', createDate: true },
  },
  relations: {
    group: { type: 'many-to-one', target: 'Group', nullable: false, onDelete: 'CASCADE', joinColumn: { name: 'group_id' } },
    creator: { type: 'many-to-one', target: 'User', nullable: false, joinColumn: { name: 'creator_id' } },
  },
});

async function open(target, synchronize = false) {
  const common = { entities: [User, Group, GroupMember, Order], synchronize, logging: false };
  const ds = new DataSource(isPg(target) ? { type: 'postgres', url: target, ...common } : { type: 'better-sqlite3', database: target, ...common });
  await ds.initialize();
  return ds;
}

async function using(target, work, synchronize) {
  const ds = await open(target, synchronize);
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

const app = {
  make: (target) => using(target, async () => ({ made: isPg(target) ? 'postgres' : 'better-sqlite3' }), true),

  write: (target, data) =>
    using(target, (ds) =>
      ds.transaction(async (m) => {
        const users = new Map((await m.find('User')).map((u) => [u.email, u]));
        const groups = new Map((await m.find('Group')).map((g) => [g.code, g]));
        const made = { users: [], groups: [], orders: [] };
        for (const u of data.users) {
          const user = await m.save('User', { email: u.email, name: u.name, isActive: u.is_active, isAdmin: u.is_admin, createdAt: utc(u.created_at), updatedAt: utc(u.updated_at) });
          users.set(u.email, user);
          made.users.push(user.id);
        }
        for (const g of data.groups) {
          const group = await m.save('Group', { code: g.code, name: g.name, createdBy: users.get(g.created_by), createdAt: utc(g.created_at) });
          groups.set(g.code, group);
          made.groups.push(group.id);
        }
        for (const gm of data.group_members) {
          await m.save('GroupMember', { group: groups.get(gm.group), user: users.get(gm.user), groupId: groups.get(gm.group).id, userId: users.get(gm.user).id, joinedAt: utc(gm.joined_at) });
        }
        for (const o of data.orders) {
          const order = await m.save('Order', { group: groups.get(o.group), creator: users.get(o.creator), total: o.total, data: o.data, createdAt: utc(o.created_at) });
          made.orders.push(order.id);
        }
        return { ids: made };
      }),
    ),

  readBack: (target) =>
    using(target, async (ds) => {
      // node-postgres hands numeric over as a string; SQLite keeps a REAL.
      const decimal = isPg(target) ? 'string' : 'number';
      const m = ds.manager;
      const objects = {
        users: (await m.find('User')).map((u) => ({ email: u.email, name: u.name, is_active: canon(u.isActive), is_admin: canon(u.isAdmin), created_at: canon(u.createdAt), updated_at: canon(u.updatedAt) })),
        groups: (await m.find('Group', { relations: { createdBy: true } })).map((g) => ({ code: g.code, name: g.name, created_by: g.createdBy.email, created_at: canon(g.createdAt) })),
        group_members: (await m.find('GroupMember', { relations: { group: true, user: true } })).map((gm) => ({ group: gm.group.code, user: gm.user.email, joined_at: canon(gm.joinedAt) })),
        orders: (await m.find('Order', { relations: { group: true, creator: true } })).map((o) => ({ group: o.group.code, creator: o.creator.email, total: canon(o.total, decimal), data: canon(o.data), created_at: canon(o.createdAt) })),
      };
      const max = async (entity) => (await m.createQueryBuilder(entity, 'x').select('MAX(x.id)', 'n').getRawOne()).n;
      const max_id = { users: Number(await max('User')), groups: Number(await max('Group')), orders: Number(await max('Order')) };
      return { objects, max_id, bookkeeping: [] };
    }),
};

run(app);
