import { describeOrmJourney } from './journey';
import { sqlalchemyApp } from './orm-apps';

describeOrmJourney(sqlalchemyApp, {
  // Issue 19, pull: production holds 12:30:00.250000, the pulled file PostgreSQL's shortest
  // form 12:30:00.25, which SQLAlchemy's SQLite dialect reads as 25 microseconds.
  pull: 'pulled datetimes misread: 2024-01-05T12:30:00.250000 comes back as 2024-01-05T12:30:00.000025',
});
