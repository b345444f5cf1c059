#!/usr/bin/python3
"""hesap paylaş as a Django project (django_project/): the schema comes from `migrate`, which also
makes Django's own tables (django_migrations, auth_*, django_content_type) and fills some of them."""
import datetime
import os
import sys
from decimal import Decimal

import common

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'django_project'))


def setup(target):
    """Points the settings' `default` (SQLite) or `production` (PostgreSQL) alias at the target; returns the alias."""
    if common.is_pg(target):
        os.environ['PAYLAS_DATABASE_URL'] = target
        alias = 'production'
    else:
        os.environ['PAYLAS_SQLITE'] = os.path.abspath(target)
        alias = 'default'
    os.environ['DJANGO_SETTINGS_MODULE'] = 'paylas_site.settings'
    import django

    django.setup()
    return alias


def aware(text):
    return common.naive(text).replace(tzinfo=datetime.timezone.utc)


class App:
    def make(self, target):
        alias = setup(target)
        from django.core.management import call_command

        call_command('migrate', database=alias, interactive=False, verbosity=0)
        return {'made': alias}

    def fill(self, target, set_name):
        return self._write(target, common.rows(set_name))

    def insert_new(self, target):
        return self._write(target, common.rows('new'))

    def _write(self, target, data):
        alias = setup(target)
        from django.db import transaction
        from paylas.models import Group, GroupMember, Order, User

        made = {'users': [], 'groups': [], 'orders': []}
        with transaction.atomic(using=alias):
            users = {u.email: u for u in User.objects.using(alias)}
            groups = {g.code: g for g in Group.objects.using(alias)}
            for u in data['users']:
                users[u['email']] = User.objects.using(alias).create(
                    email=u['email'], name=u['name'], is_active=u['is_active'], is_admin=u['is_admin'],
                    created_at=aware(u['created_at']), updated_at=aware(u['updated_at']))
                made['users'].append(users[u['email']].id)
            for g in data['groups']:
                groups[g['code']] = Group.objects.using(alias).create(
                    code=g['code'], name=g['name'], created_by=users[g['created_by']], created_at=aware(g['created_at']))
                made['groups'].append(groups[g['code']].id)
            for m in data['group_members']:
                GroupMember.objects.using(alias).create(group=groups[m['group']], user=users[m['user']], joined_at=aware(m['joined_at']))
            for o in data['orders']:
                order = Order.objects.using(alias).create(group=groups[o['group']], creator=users[o['creator']], total=Decimal(o['total']),
                                                          data=o['data'], created_at=aware(o['created_at']))
                made['orders'].append(order.id)
        return {'ids': made}

    def read_back(self, target):
        alias = setup(target)
        from django.db.migrations.recorder import MigrationRecorder
        from django.db import connections
        from django.db.models import Max
        from paylas.models import Group, GroupMember, Order, User

        c = common.canon
        objects = {
            'users': [{'email': u.email, 'name': u.name, 'is_active': c(u.is_active), 'is_admin': c(u.is_admin),
                       'created_at': c(u.created_at), 'updated_at': c(u.updated_at)} for u in User.objects.using(alias)],
            'groups': [{'code': g.code, 'name': g.name, 'created_by': g.created_by.email, 'created_at': c(g.created_at)}
                       for g in Group.objects.using(alias).select_related('created_by')],
            'group_members': [{'group': m.group.code, 'user': m.user.email, 'joined_at': c(m.joined_at)}
                              for m in GroupMember.objects.using(alias).select_related('group', 'user')],
            'orders': [{'group': o.group.code, 'creator': o.creator.email, 'total': c(o.total), 'data': c(o.data), 'created_at': c(o.created_at)}
                       for o in Order.objects.using(alias).select_related('group', 'creator')],
        }
        max_id = {t: m.objects.using(alias).aggregate(n=Max('id'))['n'] for t, m in (('users', User), ('groups', Group), ('orders', Order))}
        applied = MigrationRecorder(connections[alias]).migration_qs.order_by('app', 'name', 'id')
        bookkeeping = [f'{m.app}.{m.name}' for m in applied]
        return {'objects': objects, 'max_id': max_id, 'bookkeeping': bookkeeping}


if __name__ == '__main__':
    common.main(App())
