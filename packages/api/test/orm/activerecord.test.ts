import { describeOrmJourney } from './journey';
import { activerecordApp } from './orm-apps';

describeOrmJourney(activerecordApp, {
  // Issue 19, pull: the pulled file declares production's json column as TEXT, and
  // ActiveRecord casts by the declared type, so the app reads the JSON as a String.
  pull: 'orders.data reads as the String "{\\"restaurant\\":...}" from the pulled file (declared TEXT), not a Hash',
  // Issue 19, timestamps: Rails writes six fraction digits and none when they are zero
  // ("2024-07-01 08:00:00"), which the push does not take as timestamps: text columns.
  'first deploy: read back': 'datetimes become text: joined_at reads "2024-07-01 08:00:00" (String), not a Time',
});
