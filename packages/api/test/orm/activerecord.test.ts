import { describeOrmJourney } from './journey';
import { activerecordApp } from './orm-apps';

describeOrmJourney(activerecordApp, {
  // Issue 19, pull: the pulled file declares production's json column as TEXT, and
  // ActiveRecord casts by the declared type, so the app reads the JSON as a String.
  pull: 'orders.data reads as the String "{\\"restaurant\\":...}" from the pulled file (declared TEXT), not a Hash',
});
