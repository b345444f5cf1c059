'use strict';
// hesap paylaş with Sequelize's models; the schema comes from `sync`. Sequelize keeps
// created_at/updated_at itself: the rows written here keep the data file's (`silent`).
const { DataTypes, Sequelize } = require('sequelize');
const { canon, isPg, run, utc } = require('./common');

function open(target) {
  const options = { logging: false, define: { underscored: true } };
  const sequelize = isPg(target) ? new Sequelize(target, { ...options, dialect: 'postgres' }) : new Sequelize({ ...options, dialect: 'sqlite', storage: target });
  const User = sequelize.define(
    'User',
    {
      email: { type: DataTypes.STRING(255), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(100), allowNull: false },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      isAdmin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    },
    { tableName: 'users' },
  );
  const Group = sequelize.define(
    'Group',
    {
      code: { type: DataTypes.STRING(12), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(100), allowNull: false },
    },
    { tableName: 'groups', updatedAt: false },
  );
  const GroupMember = sequelize.define(
    'GroupMember',
    {
      groupId: { type: DataTypes.INTEGER, primaryKey: true },
      userId: { type: DataTypes.INTEGER, primaryKey: true },
      joinedAt: { type: DataTypes.DATE, allowNull: false },
    },
    { tableName: 'group_members', timestamps: false },
  );
  const Order = sequelize.define(
    'Order',
    {
      total: { type: DataTypes.DECIMAL(10, 2), allowNull: false },
      data: { type: DataTypes.JSON },
    },
    { tableName: 'orders', updatedAt: false },
  );
  Group.belongsTo(User, { as: 'creator', foreignKey: { name: 'createdBy', allowNull: false } });
  GroupMember.belongsTo(Group, { foreignKey: 'groupId', onDelete: 'CASCADE' });
  GroupMember.belongsTo(User, { foreignKey: 'userId', onDelete: 'CASCADE' });
  Order.belongsTo(Group, { foreignKey: { name: 'groupId', allowNull: false }, onDelete: 'CASCADE' });
  Order.belongsTo(User, { as: 'creator', foreignKey: { name: 'creatorId', allowNull: false } });
  return { sequelize, User, Group, GroupMember, Order };
}

async function using(target, work) {
  const db = open(target);
  try {
    return await work(db);
  } finally {
    await db.sequelize.close();
  }
}

const app = {
  make: (target) =>
    using(target, async ({ sequelize }) => {
      await sequelize.sync();
      return { made: sequelize.getDialect() };
    }),

  write: (target, data) =>
    using(target, ({ sequelize, User, Group, GroupMember, Order }) =>
      sequelize.transaction(async (transaction) => {
        const opts = { transaction, silent: true };
        const users = new Map((await User.findAll({ transaction })).map((u) => [u.email, u]));
        const groups = new Map((await Group.findAll({ transaction })).map((g) => [g.code, g]));
        const made = { users: [], groups: [], orders: [] };
        for (const u of data.users) {
          const user = await User.create({ email: u.email, name: u.name, isActive: u.is_active, isAdmin: u.is_admin, createdAt: utc(u.created_at), updatedAt: utc(u.updated_at) }, opts);
          users.set(u.email, user);
          made.users.push(user.id);
        }
        for (const g of data.groups) {
          const group = await Group.create({ code: g.code, name: g.name, createdBy: users.get(g.created_by).id, createdAt: utc(g.created_at) }, opts);
          groups.set(g.code, group);
          made.groups.push(group.id);
        }
        for (const m of data.group_members) {
          await GroupMember.create({ groupId: groups.get(m.group).id, userId: users.get(m.user).id, joinedAt: utc(m.joined_at) }, opts);
        }
        for (const o of data.orders) {
          const order = await Order.create({ groupId: groups.get(o.group).id, creatorId: users.get(o.creator).id, total: o.total, data: o.data, createdAt: utc(o.created_at) }, opts);
          made.orders.push(order.id);
        }
        return { ids: made };
      }),
    ),

  readBack: (target) =>
    using(target, async ({ User, Group, GroupMember, Order }) => {
      // node-postgres hands numeric over as a string; SQLite keeps a REAL.
      const decimal = isPg(target) ? 'string' : 'number';
      const objects = {
        users: (await User.findAll()).map((u) => ({ email: u.email, name: u.name, is_active: canon(u.isActive), is_admin: canon(u.isAdmin), created_at: canon(u.createdAt), updated_at: canon(u.updatedAt) })),
        groups: (await Group.findAll({ include: [{ model: User, as: 'creator' }] })).map((g) => ({ code: g.code, name: g.name, created_by: g.creator.email, created_at: canon(g.createdAt) })),
        group_members: (await GroupMember.findAll({ include: [Group, User] })).map((m) => ({ group: m.Group.code, user: m.User.email, joined_at: canon(m.joinedAt) })),
        orders: (await Order.findAll({ include: [Group, { model: User, as: 'creator' }] })).map((o) => ({ group: o.Group.code, creator: o.creator.email, total: canon(o.total, decimal), data: canon(o.data), created_at: canon(o.createdAt) })),
      };
      const max_id = { users: await User.max('id'), groups: await Group.max('id'), orders: await Order.max('id') };
      return { objects, max_id, bookkeeping: [] };
    }),
};

run(app);
