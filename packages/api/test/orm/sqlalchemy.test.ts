import { describeOrmJourney } from './journey';
import { sqlalchemyApp } from './orm-apps';

describeOrmJourney(sqlalchemyApp, {
  // Issue 19, pull: production holds 12:30:00.250000, the pulled file PostgreSQL's shortest
  // form 12:30:00.25, which SQLAlchemy's SQLite dialect reads as 25 microseconds.
  pull: 'pulled datetimes misread: 2024-01-05T12:30:00.250000 comes back as 2024-01-05T12:30:00.000025',
  // Issue 19, timestamps: SQLAlchemy always writes six fraction digits, which the push does
  // not take as timestamps, so it creates text columns and the app reads str.
  'first deploy: read back': 'datetimes become text: joined_at reads "2024-07-01 08:00:00.000000" (str), not a datetime',
});
