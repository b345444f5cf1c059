import { describeOrmJourney } from './journey';
import { typeormApp } from './orm-apps';

describeOrmJourney(typeormApp, {
  // Issue 19, first deploy: the push creates varchar(255) as text and integer ids as bigint
  // identities, so TypeORM's synchronize sees other columns than its entities and drops and
  // re-adds them: here it stops on the NOT NULL email; a nullable column would lose its data.
  'first deploy: app starts': 'TypeORM make-pg failed: QueryFailedError: column "email" of relation "users" contains null values',
});
