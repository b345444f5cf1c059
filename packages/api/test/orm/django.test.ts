import { describeOrmJourney } from './journey';
import { djangoApp } from './orm-apps';

describeOrmJourney(djangoApp, {});
