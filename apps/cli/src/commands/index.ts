// Commands are listed here explicitly (oclif's "explicit" strategy): no directory scan
// and no manifest at start-up.
import DbPull from './db/pull';
import DbPush from './db/push';
import DbStatus from './db/status';
import DbVerify from './db/verify';
import Demo from './demo';

export const commands = {
  'db:status': DbStatus,
  'db:push': DbPush,
  'db:pull': DbPull,
  'db:verify': DbVerify,
  demo: Demo,
};
