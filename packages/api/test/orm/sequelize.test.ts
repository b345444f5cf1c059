import { describeOrmJourney } from './journey';
import { sequelizeApp } from './orm-apps';

describeOrmJourney(sequelizeApp, {
  // Issue 19, timestamps: Sequelize writes "2024-01-01 09:00:00.000 +00:00" (a zone offset),
  // which becomes text; TINYINT(1) becomes bigint, which the app reads as "1"/"0".
  'first deploy: read back': 'datetimes become text ("2024-06-15 12:00:00.000 +00:00") and booleans bigint (is_active reads "1")',
  'first deploy: insert new': 'SequelizeDatabaseError: invalid input syntax for type bigint: "true"',
});
