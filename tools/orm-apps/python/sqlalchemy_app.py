#!/usr/bin/python3
"""hesap paylaş with SQLAlchemy's declarative models; the schema comes from `create_all`."""
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Integer, Numeric, String, create_engine, func, select
from sqlalchemy.orm import Session, declarative_base, relationship

import common

Base = declarative_base()


class User(Base):
    __tablename__ = 'users'
    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False, unique=True)
    name = Column(String(100), nullable=False)
    is_active = Column(Boolean, nullable=False, default=True)
    is_admin = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class Group(Base):
    __tablename__ = 'groups'
    id = Column(Integer, primary_key=True)
    code = Column(String(12), nullable=False, unique=True)
    name = Column(String(100), nullable=False)
    created_by = Column(Integer, ForeignKey('users.id'), nullable=False)
    created_at = Column(DateTime, nullable=False)
    creator = relationship(User)


class GroupMember(Base):
    __tablename__ = 'group_members'
    group_id = Column(Integer, ForeignKey('groups.id', ondelete='CASCADE'), primary_key=True)
    user_id = Column(Integer, ForeignKey('users.id', ondelete='CASCADE'), primary_key=True)
    joined_at = Column(DateTime, nullable=False)
    group = relationship(Group)
    user = relationship(User)


class Order(Base):
    __tablename__ = 'orders'
    id = Column(Integer, primary_key=True)
    group_id = Column(Integer, ForeignKey('groups.id', ondelete='CASCADE'), nullable=False)
    creator_id = Column(Integer, ForeignKey('users.id'), nullable=False)
    total = Column(Numeric(10, 2), nullable=False)
    data = Column(JSON)
    created_at = Column(DateTime, nullable=False)
    group = relationship(Group)
    creator = relationship(User)


def engine(target):
    if common.is_pg(target):
        return create_engine('postgresql+psycopg2://' + target.split('://', 1)[1], future=True)
    return create_engine('sqlite:///' + target, future=True)


class App:
    def make(self, target):
        e = engine(target)
        Base.metadata.create_all(e)
        e.dispose()
        return {'made': target.split('://')[0] if common.is_pg(target) else 'sqlite'}

    def fill(self, target, set_name):
        return self._write(target, common.rows(set_name))

    def insert_new(self, target):
        return self._write(target, common.rows('new'))

    def _write(self, target, data):
        e = engine(target)
        with Session(e) as s, s.begin():
            users = {u.email: u for u in s.scalars(select(User))}
            groups = {g.code: g for g in s.scalars(select(Group))}
            made = {'users': [], 'groups': [], 'orders': []}
            for u in data['users']:
                users[u['email']] = User(email=u['email'], name=u['name'], is_active=u['is_active'], is_admin=u['is_admin'],
                                         created_at=common.naive(u['created_at']), updated_at=common.naive(u['updated_at']))
                s.add(users[u['email']])
                made['users'].append(users[u['email']])
            for g in data['groups']:
                groups[g['code']] = Group(code=g['code'], name=g['name'], creator=users[g['created_by']], created_at=common.naive(g['created_at']))
                s.add(groups[g['code']])
                made['groups'].append(groups[g['code']])
            for m in data['group_members']:
                s.add(GroupMember(group=groups[m['group']], user=users[m['user']], joined_at=common.naive(m['joined_at'])))
            for o in data['orders']:
                order = Order(group=groups[o['group']], creator=users[o['creator']], total=Decimal(o['total']), data=o['data'],
                              created_at=common.naive(o['created_at']))
                s.add(order)
                made['orders'].append(order)
            s.flush()
            ids = {table: [x.id for x in objs] for table, objs in made.items()}
        e.dispose()
        return {'ids': ids}

    def read_back(self, target):
        e = engine(target)
        with Session(e) as s:
            objects = {
                'users': [{'email': u.email, 'name': u.name, 'is_active': common.canon(u.is_active), 'is_admin': common.canon(u.is_admin),
                           'created_at': common.canon(u.created_at), 'updated_at': common.canon(u.updated_at)} for u in s.scalars(select(User))],
                'groups': [{'code': g.code, 'name': g.name, 'created_by': g.creator.email, 'created_at': common.canon(g.created_at)}
                           for g in s.scalars(select(Group))],
                'group_members': [{'group': m.group.code, 'user': m.user.email, 'joined_at': common.canon(m.joined_at)}
                                  for m in s.scalars(select(GroupMember))],
                'orders': [{'group': o.group.code, 'creator': o.creator.email, 'total': common.canon(o.total), 'data': common.canon(o.data),
                            'created_at': common.canon(o.created_at)} for o in s.scalars(select(Order))],
            }
            max_id = {t: s.scalar(select(func.max(m.id))) for t, m in (('users', User), ('groups', Group), ('orders', Order))}
        e.dispose()
        return {'objects': objects, 'max_id': max_id, 'bookkeeping': []}


if __name__ == '__main__':
    common.main(App())
