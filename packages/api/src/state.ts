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

function stateFile(): string {
  return path.join(process.env.HESAP_STATE_DIR ?? path.join(process.cwd(), '.hesap'), 'state.json');
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
