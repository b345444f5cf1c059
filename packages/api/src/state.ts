import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The last successful push and pull of each local database, kept in
 * `.hesap/state.json` in the current directory (or `$HESAP_STATE_DIR`), keyed by the
 * local file's absolute path. Mode 0600, no secrets: remote URLs are stored redacted.
 * Nothing is ever written next to the local file, which may sit in a read-only place.
 */
export interface SyncRecord {
  at: string;
  remote: string;
  tables: number;
  rows: number;
}

export interface SyncState {
  lastPush?: SyncRecord;
  lastPull?: SyncRecord;
}

function stateDir(): string {
  return process.env.HESAP_STATE_DIR ?? path.join(process.cwd(), '.hesap');
}

function stateFile(): string {
  return path.join(stateDir(), 'state.json');
}

/** The folder of one local file's shadows, named by a hash of its absolute path. */
function shadowDir(local: string): string {
  const file = path.resolve(local.replace(/^(sqlite3?|file):(\/\/)?/i, ''));
  return path.join(stateDir(), 'shadows', createHash('sha256').update(file).digest('hex').slice(0, 32));
}

/**
 * The shadow of the last push from `local` to `remote` (an incremental push, see
 * adapter-sqlite's sqlite-changes.ts): a SQLite file in the state folder, named by a hash of
 * the remote database as `describe` shows it, without the role (a read-only role's merging
 * pull and a writer's push share it: the record is the database's), and the source id.
 */
export function shadowFile(local: string, remote: string, sourceId: string): string {
  const name = createHash('sha256').update(`${withoutRole(remote)}\u0000${sourceId}`).digest('hex').slice(0, 32);
  return path.join(shadowDir(local), `${name}.sqlite`);
}

function withoutRole(remote: string): string {
  try {
    const url = new URL(remote);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return remote;
  }
}

/** After a pull or a restore into the file: its shadows no longer tell what changed, and the next push sends every row. */
export function forgetShadows(local: string): void {
  fs.rmSync(shadowDir(local), { recursive: true, force: true });
}

export function readState(local: string): SyncState {
  try {
    const all = JSON.parse(fs.readFileSync(stateFile(), 'utf8')) as Record<string, SyncState>;
    return all[path.resolve(local)] ?? {};
  } catch {
    return {};
  }
}

export function recordSync(local: string, kind: 'lastPush' | 'lastPull', record: SyncRecord): void {
  const file = stateFile();
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    let all: Record<string, SyncState> = {};
    try {
      all = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, SyncState>;
    } catch {
      // first record
    }
    const key = path.resolve(local);
    all[key] = { ...all[key], [kind]: record };
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(temp, file);
  } catch {
    // The record is a convenience for `status`; failing to write it never fails a sync.
  }
}
