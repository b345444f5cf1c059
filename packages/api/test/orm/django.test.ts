import { describeOrmJourney } from './journey';
import { djangoApp } from './orm-apps';

describeOrmJourney(djangoApp, {
  // Issue 19, timestamps: Django writes six fraction digits, or none when they are zero
  // ("2024-07-01 08:00:00"), which the push does not take as timestamps: text columns.
  'first deploy: read back': 'datetimes become text: joined_at reads "2024-07-01 08:00:00" (str), not a datetime',
});
