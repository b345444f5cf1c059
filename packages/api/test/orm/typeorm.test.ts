import { describeOrmJourney } from './journey';
import { typeormApp } from './orm-apps';

describeOrmJourney(typeormApp, {});
