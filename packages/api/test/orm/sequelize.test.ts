import { describeOrmJourney } from './journey';
import { sequelizeApp } from './orm-apps';

describeOrmJourney(sequelizeApp, {});
