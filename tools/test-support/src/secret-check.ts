import * as fs from 'node:fs';
import * as path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@hesap/embedded-pg';
import { runHesap, jsonOf, type CliRun } from './hesap-cli';
import { createDatabaseOn } from './fault-checks';
import { adminQuery, type TestDatabase } from './postgres';
import { generateTestCertificates, type TestCertificates } from './tls-certs';

/**
 * Checking that a secret never shows in what the CLI writes: stdout, stderr, the --json
 * document and the --log-file, at --log-level debug (stack traces and causes included).
 */

export const SECRET_ROLE = 'hesap_secret';
/** A password with characters that need percent-encoding, and a non-ASCII one. */
export const SECRET_PASSWORD = 'S3cr3t!p@ss/w:rd%ü-9f2';

/** Every form a secret could leak in: as typed, percent-encoded, and a distinctive piece of it. */
export function secretForms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), secret.slice(2, 12)];
}

export interface SecretCase {
  name: string;
  /** The error code the run must end with (proves the case was reached); 'OK' for success, 'ANY' for any error. */
  code: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Runs the command itself (signals, faults), with `extra` flags for the mode. */
  run?: (extra: string[]) => Promise<CliRun>;
}

const MODES = [['--log-level', 'debug'], ['--json', '--log-level', 'debug'], ['--log-level', 'debug', '--log-file']];

/**
 * Runs a case in three forms at --log-level debug (human with logs on stderr, --json, human
 * with a log file), side by side unless the case runs itself, and checks that none of
 * `secrets` shows anywhere, that the log file is private, and that the case ended as
 * expected.
 */
export async function expectNoSecretLeak(c: SecretCase, secrets: string[], logDir: string): Promise<void> {
  const one = async (mode: string[]) => {
    const logFile = path.join(logDir, `${c.name.replace(/\W+/g, '-')}-${mode.length}-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
    const extra = mode[mode.length - 1] === '--log-file' ? [...mode, logFile] : mode;
    const run = c.run ? await c.run(extra) : await runHesap([...(c.args ?? []), ...extra], { env: c.env, cwd: c.cwd });
    const outputs: Record<string, string> = { stdout: run.stdout, stderr: run.stderr };
    if (fs.existsSync(logFile)) {
      outputs.logFile = fs.readFileSync(logFile, 'utf8');
      expect({ case: c.name, logFileMode: fs.statSync(logFile).mode & 0o777 }).toEqual({ case: c.name, logFileMode: 0o600 });
    }
    for (const [where, text] of Object.entries(outputs)) {
      for (const form of secrets.flatMap(secretForms)) {
        expect({ case: c.name, mode: extra.join(' '), where, leaked: text.includes(form) }).toMatchObject({ leaked: false });
      }
    }
    if (extra.includes('--json')) {
      const doc = jsonOf(run);
      const code = doc.error?.code;
      if (c.code === 'OK') expect({ case: c.name, error: doc.error }).toEqual({ case: c.name, error: undefined });
      else expect({ case: c.name, code }).toEqual({ case: c.name, code: c.code === 'ANY' ? expect.any(String) : c.code });
    } else if (c.code !== 'OK') {
      expect({ case: c.name, stderr: run.stderr }).toMatchObject({ stderr: expect.stringContaining(c.code === 'ANY' ? 'Error [' : `[${c.code}]`) });
      // Debug output shows the stack and the causes: where a leak would hide.
      if (!extra.includes('--log-file')) expect({ case: c.name, stack: /\n\s+at /.test(run.stderr) }).toEqual({ case: c.name, stack: true });
    }
  };
  if (c.run) for (const mode of MODES) await one(mode);
  else await Promise.all(MODES.map(one));
}

export interface PasswordServer {
  server: EmbeddedPostgres;
  certs: TestCertificates;
  /** A test database, reached with the maintenance role (for the test's own queries). */
  db: TestDatabase;
  /** hesap's URL for that database: role SECRET_ROLE with SECRET_PASSWORD, sslmode=require. */
  remote: string;
  stop(): Promise<void>;
}

/**
 * An embedded PostgreSQL that checks passwords and takes only TLS (pg_hba: hostssl ...
 * password), with a certificate from a test CA in `dir`, a role with SECRET_PASSWORD and a
 * database it owns.
 */
export async function startPasswordServer(dir: string): Promise<PasswordServer> {
  const certs = generateTestCertificates(path.join(dir, 'certs'));
  const server = await startEmbeddedPostgres({ ssl: { cert: certs.serverCert, key: certs.serverKey }, hba: 'hostssl all all 127.0.0.0/8 password\n' });
  const admin = new URL(server.url);
  admin.searchParams.set('sslmode', 'no-verify');
  const db = await createDatabaseOn(admin.toString(), 'secrets');
  await adminQuery(admin.toString(), `CREATE ROLE ${SECRET_ROLE} LOGIN PASSWORD $pw$${SECRET_PASSWORD}$pw$`);
  await adminQuery(admin.toString(), `ALTER DATABASE "${db.name}" OWNER TO ${SECRET_ROLE}`);
  await db.query(`ALTER SCHEMA public OWNER TO ${SECRET_ROLE}`);
  const u = new URL(db.url);
  u.username = SECRET_ROLE;
  u.password = encodeURIComponent(SECRET_PASSWORD);
  u.search = '?sslmode=require';
  return {
    server,
    certs,
    db,
    remote: u.toString(),
    stop: async () => {
      server.stop();
      await server.stopped;
    },
  };
}
