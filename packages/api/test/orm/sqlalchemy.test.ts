import { describeOrmJourney } from './journey';
import { sqlalchemyApp } from './orm-apps';

describeOrmJourney(sqlalchemyApp, {});
