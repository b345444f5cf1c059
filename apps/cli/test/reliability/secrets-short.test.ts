import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { adminQuery, buildLoadDatabase, runHesap, secretForms, tempDir, testServerUrl, writeSqlite } from '@hesap/test-support';

/**
 * A password that is a common word (`table`, `e`, `postgres`) must change nothing in what
 * hesap writes: masking works on the connection text's structure, never by searching the
 * output for the password. The same runs with a long random password and with each short one
 * (the test server trusts 127.0.0.1, so any password connects) print the same text, the same
 * JSON (it parses, with the same keys and values), the same log file, state file and snapshot
 * manifest, once timings are set aside. The random password, distinctive, is shown nowhere.
 */

const RANDOM = randomBytes(18).toString('base64url');

interface Outputs {
  [what: string]: string;
}

/** Timings, timestamps, process ids (and the manifest's checksum, over its time): what differs between two runs of the same thing. */
function normalised(text: string): string {
  return text
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
    .replace(/\b\d+(\.\d+)?( ?)(ms|s|min)\b/g, '<n>$2$3')
    .replace(/"(time|pid|durationMs|latencyMs|createdAt|ms|manifestChecksum)": ?"?[^,}\n"]*"?/g, '"$1": <n>');
}

describe('short passwords change nothing in the output', () => {
  const tmp = tempDir('hesap-secret-short');
  const local = path.join(tmp.dir, 'app.db');
  const other = path.join(tmp.dir, 'other.db');
  const database = `hesap_short_${randomBytes(3).toString('hex')}`;
  const urlWith = (password: string, db = database) => {
    const u = new URL(testServerUrl());
    u.password = encodeURIComponent(password);
    u.pathname = `/${db}`;
    return u.toString();
  };

  beforeAll(() => {
    buildLoadDatabase(local, { parents: 30, childrenPerParent: 2 });
    // Names and values made of the short passwords: a table "tables", a column "e", rows 'postgres'.
    writeSqlite(local, `CREATE TABLE tables (id INTEGER PRIMARY KEY, e TEXT, postgres TEXT); INSERT INTO tables VALUES (1, 'table', 'postgres'), (2, 'e', 'e');`);
    writeSqlite(other, `CREATE TABLE counts (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO counts VALUES (1, 5), (2, 'five');`);
  });
  afterAll(async () => {
    await adminQuery(testServerUrl(), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    tmp.cleanup();
  });

  /** Every command of a session, in human form and --json, with the password in .env; then the files hesap wrote. */
  async function session(password: string): Promise<Outputs> {
    await adminQuery(testServerUrl(), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await adminQuery(testServerUrl(), `CREATE DATABASE "${database}"`);
    const dir = path.join(tmp.dir, 'project');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name": "app"}\n');
    fs.writeFileSync(path.join(dir, '.env'), `HESAP_LOCAL_DB=${local}\nDATABASE_URL="${urlWith(password)}"  # the app's database\n`);
    const env = { HESAP_STATE_DIR: path.join(dir, '.hesap') };
    const logFile = path.join(dir, 'hesap.log');
    const out: Outputs = {};
    const commands: Array<[string, string[], Record<string, string>?]> = [
      ['status', ['db', 'status']],
      ['push', ['db', 'push', '--log-level', 'debug', '--log-file', logFile]],
      ['push again', ['db', 'push', '--log-level', 'info']],
      ['dry run', ['db', 'push', '--dry-run', '--mode', 'replace']],
      ['verify', ['db', 'verify']],
      ['pull', ['db', 'pull', '--local', path.join(dir, 'pulled.db'), '--yes']],
      ['snapshot', ['db', 'snapshot', 'create', '--from', 'remote', '--out', path.join(dir, '.hesap', 'snap')]],
      ['status again', ['db', 'status', '--log-level', 'debug']],
      ['missing table', ['db', 'push', '--tables', 'nope', '--log-level', 'debug']],
      ['type mismatch', ['db', 'push', '--local', other, '--log-level', 'debug']],
      ['missing database', ['db', 'status', '--log-level', 'debug'], { DATABASE_URL: urlWith(password, `${database}_nope`) }],
      ['unreachable', ['db', 'push', '--connect-timeout', '2', '--log-level', 'debug'], { DATABASE_URL: urlWith(password, database).replace(/:\d+\//, ':1/') }],
    ];
    for (const [name, args, extra] of commands) {
      for (const json of [false, true]) {
        if (json && name === 'snapshot') fs.rmSync(path.join(dir, '.hesap', 'snap'), { recursive: true, force: true });
        const run = await runHesap([...args, ...(json ? ['--json'] : [])], { cwd: dir, env: { ...env, ...extra } });
        const key = `${name}${json ? ' --json' : ''}`;
        out[`${key}: exit`] = String(run.code);
        out[`${key}: stdout`] = run.stdout;
        out[`${key}: stderr`] = run.stderr;
        if (json) out[`${key}: parsed`] = JSON.stringify(JSON.parse(run.stdout));
      }
    }
    out['log file'] = fs.readFileSync(logFile, 'utf8');
    out['state file'] = fs.readFileSync(path.join(dir, '.hesap', 'state.json'), 'utf8');
    out.manifest = fs.readFileSync(path.join(dir, '.hesap', 'snap', 'manifest.json'), 'utf8');
    return out;
  }

  it('with table, e and postgres, every output equals the random password run; the random one shows nowhere', async () => {
    const reference = await session(RANDOM);
    for (const [what, text] of Object.entries(reference)) {
      for (const part of secretForms(RANDOM)) expect({ what, leaked: text.includes(part) }).toEqual({ what, leaked: false });
    }
    // The runs reached the server and failed where they should.
    expect(JSON.parse(reference['status --json: stdout']!).remote.reachable).toBe(true);
    expect(JSON.parse(reference['verify --json: stdout']!).same).toBe(true);
    expect(JSON.parse(reference['missing table --json: stdout']!).error.code).toBe('USAGE');
    expect(JSON.parse(reference['missing database --json: stdout']!).remote.error.code).toBe('DATABASE_MISSING');
    expect(reference['status: stdout']).toContain('postgresql://postgres:***@');
    for (const password of ['table', 'e', 'postgres']) {
      const run = await session(password);
      expect(Object.keys(run)).toEqual(Object.keys(reference));
      for (const [what, text] of Object.entries(run)) {
        expect({ password, what, text: normalised(text) }).toEqual({ password, what, text: normalised(reference[what]!) });
      }
    }
  }, 600_000);
});
