import { describeOrmJourney } from './journey';
import { activerecordApp } from './orm-apps';

describeOrmJourney(activerecordApp, {});
