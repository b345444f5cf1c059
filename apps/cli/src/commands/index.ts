// Commands are listed here explicitly (oclif's "explicit" strategy): no directory scan
// and no manifest at start-up.
import AdaptersList from './adapters/list';
import Init from './init';
import DbCopy from './db/copy';
import DbGrants from './db/grants';
import DbPull from './db/pull';
import DbPush from './db/push';
import DbStatus from './db/status';
import DbVerify from './db/verify';
import DbWatch from './db/watch';
import DbSnapshotCreate from './db/snapshot/create';
import DbSnapshotList from './db/snapshot/list';
import DbSnapshotPrune from './db/snapshot/prune';
import DbSnapshotRestore from './db/snapshot/restore';
import DbSnapshotVerify from './db/snapshot/verify';
import Version from './version';

export const commands = {
  init: Init,
  'db:status': DbStatus,
  'db:push': DbPush,
  'db:pull': DbPull,
  'db:copy': DbCopy,
  'db:grants': DbGrants,
  'adapters:list': AdaptersList,
  'db:verify': DbVerify,
  'db:watch': DbWatch,
  'db:snapshot:create': DbSnapshotCreate,
  'db:snapshot:list': DbSnapshotList,
  'db:snapshot:verify': DbSnapshotVerify,
  'db:snapshot:restore': DbSnapshotRestore,
  'db:snapshot:prune': DbSnapshotPrune,
  version: Version,
};
