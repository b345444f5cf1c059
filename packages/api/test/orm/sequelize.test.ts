import { describeOrmJourney } from './journey';
import { sequelizeApp } from './orm-apps';

describeOrmJourney(sequelizeApp, {
  // Issue 19, pull: production's timestamptz comes down as PostgreSQL prints it, which Sequelize's SQLite dialect reads as text.
  pull: 'group_members.joined_at reads "2024-07-01 08:00:00+00" (a string), not a Date',
});
