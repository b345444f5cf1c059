import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { maskConnectionTextsIn, redactUrl } from '@hesap/core';
import { createDemoDatabase } from './demo-database';
import { createSampleDatabase } from './seed';

const USAGE = `Usage: npm start [-- --dir <dir>] [-- --remote <url>]

Runs the end-to-end demo: a sample SQLite database of the bill-splitting app, pushed to
PostgreSQL and verified with the hesap CLI.

  --dir <dir>     where the sample database goes (default .hesap/demo)
  --remote <url>  a PostgreSQL server to use; the demo creates its own database there and
                  drops it afterwards (default: an embedded PostgreSQL). The project's
                  configuration (.env, DATABASE_URL, targets) is never used: in a real project
                  that is production.

npm start builds quietly first; HESAP_BUILD_VERBOSE=1 npm start shows Nx's output.
`;

/** The CLI commands the demo runs, and what each shows, in order. */
const STEPS: ReadonlyArray<readonly [string, string]> = [
  ['status', 'Both sides: reachable, and the row counts side by side (the remote is still empty).'],
  ['push', 'The local file into PostgreSQL, in one transaction: tables created with their keys, rows merged by meaning.'],
  ['verify', 'Checksums of every table on both sides: the same content, value for value.'],
  ['status', 'Both sides again: the counts now match.'],
];

/** What the user runs next, on their own app. */
const NEXT = `
Next, on your own app (install hesap first: see "Install" in the README):
  put HESAP_LOCAL_DB=./app.db and DATABASE_URL=postgresql://user:password@host/db in .env, then
  hesap db status           both sides, side by side
  hesap db push --dry-run   what a push would change; nothing is committed
  hesap db push             push, in one transaction
`;

export interface DemoOptions {
  /** Where the sample database goes. */
  dir: string;
  /** A PostgreSQL server to create the demo's database on; an embedded one when absent. */
  server?: string;
}

/** Runs the hesap CLI as a user would, its output on this terminal; resolves with its exit code. */
function hesap(args: string[]): Promise<number> {
  const bin = require.resolve('hesap/bin/run.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit' });
    child.on('error', reject).on('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * The whole job: the sample database of the bill-splitting app (TypeORM entities,
 * realistic data), a PostgreSQL to push it to (an embedded one when none is
 * given with --remote), then `hesap db status`, `db push`, `db verify` and `db status` again.
 * Resolves with the exit code: 0 when every step succeeded.
 */
export async function runDemo(options: DemoOptions, say: (text: string) => void = heading): Promise<number> {
  fs.mkdirSync(options.dir, { recursive: true });
  const local = path.join(options.dir, 'hesap-paylas.db');

  say('Creating the sample database of the bill-splitting app with TypeORM');
  const { rows } = await createSampleDatabase(local);
  process.stdout.write(`  ${local}: ${rows} rows in users, groups, group_members, orders, order_items, member_bills\n`);

  let remote: string;
  let cleanup: () => Promise<void>;
  if (options.server) {
    say(`Creating a fresh database for the demo on ${redactUrl(options.server)}`);
    const database = await createDemoDatabase(options.server);
    remote = database.url;
    cleanup = database.drop;
  } else {
    say('No --remote given: starting an embedded PostgreSQL (first start takes a few seconds)');
    const { startEmbeddedPostgres } = await import('@hesap/embedded-pg');
    const server = await startEmbeddedPostgres();
    remote = server.url;
    cleanup = async () => server.stop();
  }
  process.stdout.write(`  remote: ${redactUrl(remote)}\n`);

  try {
    const sides = ['--local', local, '--remote', remote];
    for (const [command, why] of STEPS) {
      say(`hesap db ${command}`);
      process.stdout.write(`  ${why}\n\n`);
      const code = await hesap(['db', command, ...sides]);
      if (code !== 0) {
        say(`hesap db ${command} exited with ${code}: the demo did not finish cleanly; see above.`);
        return code;
      }
    }
    say('Done: every table pushed and verified.');
    process.stdout.write(NEXT);
    return 0;
  } finally {
    await cleanup().catch(() => undefined);
  }
}

function heading(text: string): void {
  const bold = process.stdout.isTTY && !process.env.NO_COLOR;
  process.stdout.write(bold ? `\n\u001b[1m▶ ${text}\u001b[0m\n` : `\n▶ ${text}\n`);
}

/** `bin/demo.js`: flags, then the demo; a failure is one line on stderr without secrets. */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { dir: { type: 'string' }, remote: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // Only a server named here: a configured one (.env in a project folder) may be production.
  const server = values.remote;
  try {
    return await runDemo({ dir: values.dir ?? path.join('.hesap', 'demo'), server });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`The demo failed: ${maskConnectionTextsIn(message)}\n`);
    return 1;
  }
}
