import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root (the folder holding nx.json). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'nx.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('nx.json not found above ' + __dirname);
    dir = up;
  }
  return dir;
}

/**
 * The peer databases (other projects' SQLite test files) in `../shared/peer-data`,
 * read in place, or undefined where they are absent (a user's fresh clone).
 */
export function peerDataDir(): string | undefined {
  const dir = process.env.HESAP_PEER_DATA ?? path.join(repoRoot(), '..', 'shared', 'peer-data');
  return fs.existsSync(path.join(dir, 'README.md')) ? dir : undefined;
}

let noticed = false;

/** `describe` when the peer data is there; otherwise one line saying why its tests are skipped. */
export function describePeerData(name: string, body: (dir: string) => void): void {
  const dir = peerDataDir();
  if (dir) {
    describe(name, () => body(dir));
    return;
  }
  if (!noticed) {
    noticed = true;
    process.stderr.write('Peer data (../shared/peer-data) not found: its tests are skipped.\n');
  }
  describe.skip(name, () => it('needs ../shared/peer-data', () => undefined));
}
