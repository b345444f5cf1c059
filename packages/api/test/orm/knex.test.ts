import { describeOrmJourney } from './journey';
import { knexApp } from './orm-apps';

// Knex with better-sqlite3 stores a Date as epoch milliseconds: the app's project says so
// (`epochDates`), as it would in hesap.config.json.
describeOrmJourney(knexApp, {}, { epochDates: 'ms' });
