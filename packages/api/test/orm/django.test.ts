import { describeOrmJourney } from './journey';
import { djangoApp } from './orm-apps';

describeOrmJourney(djangoApp, {
  // Issue 19, sequences: Django's migrations leave sqlite_sequence rows of 0 for the empty
  // AUTOINCREMENT tables (auth_group, ...), and every push turns them into setval(seq, 0).
  // Every later check needs the push. Behind it (seen with the zero rows removed by hand):
  // django_migrations is doubled in production (15 rows become 30).
  push: 'setval: value 0 is out of bounds for sequence "auth_group_id_seq" (1..2147483647) (table "auth_group")',
  'read back': 'the push fails (setval 0)',
  'bookkeeping stays': 'the push fails (setval 0); behind it django_migrations is doubled',
  'insert new': 'the push fails (setval 0)',
  'second push': 'the push fails (setval 0)',
  pull: 'the push fails (setval 0)',
  verify: 'the push fails (setval 0)',
  'first deploy: push': 'setval: value 0 is out of bounds for sequence "auth_group_id_seq" (1..9223372036854775807) (table "auth_group")',
  'first deploy: read back': 'the push fails (setval 0)',
  'first deploy: bookkeeping travels': 'the push fails (setval 0)',
  'first deploy: verify': 'the push fails (setval 0)',
  'first deploy: insert new': 'the push fails (setval 0)',
  'first deploy: app starts': 'the push fails (setval 0)',
});
