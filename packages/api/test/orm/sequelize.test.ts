import { describeOrmJourney } from './journey';
import { sequelizeApp } from './orm-apps';

describeOrmJourney(sequelizeApp, {
  // Issue 19, pushing into ORM-made tables: Sequelize stores BOOLEAN as TINYINT(1) 0/1 in
  // SQLite and the push refuses them for production's boolean columns. Every later check
  // needs the push.
  push: 'SCHEMA_INCOMPATIBLE: Table "users" cannot be loaded into the existing table: column "is_active" is boolean in the target but integer in the source',
  'read back': 'the push is refused (boolean in the target, integer in the source)',
  'insert new': 'the push is refused (boolean in the target, integer in the source)',
  'second push': 'the push is refused (boolean in the target, integer in the source)',
  pull: 'the push is refused (boolean in the target, integer in the source)',
  verify: 'the push is refused (boolean in the target, integer in the source)',
  // Issue 19, timestamps: Sequelize writes "2024-01-01 09:00:00.000 +00:00" (a zone offset),
  // which becomes text; TINYINT(1) becomes bigint, which the app reads as "1"/"0".
  'first deploy: read back': 'datetimes become text ("2024-06-15 12:00:00.000 +00:00") and booleans bigint (is_active reads "1")',
  'first deploy: insert new': 'SequelizeDatabaseError: invalid input syntax for type bigint: "true"',
});
