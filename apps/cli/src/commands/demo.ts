import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Flags } from '@oclif/core';
import { redactUrl } from '@hesap/core';
import { resolveRemote } from '@hesap/api';

/**
 * The whole job in one command: a sample database of the bill-splitting app (TypeORM
 * entities, realistic data), a PostgreSQL to push it to (an embedded one when none is
 * configured), then `db status`, `db push`, `db verify` and `db status` again.
 */
export default class Demo extends Command {
  static override summary = 'Run the end-to-end demo: sample SQLite database → PostgreSQL, verified.';
  static override flags = {
    dir: Flags.string({ description: 'Where the sample database goes.', default: path.join('.hesap', 'demo') }),
    remote: Flags.string({ description: 'A PostgreSQL server to use; the demo creates its own database there. Default: an embedded PostgreSQL.' }),
  };

  override async run(): Promise<void> {
    const { flags } = await this.parse(Demo);
    const bold = process.stdout.isTTY && !process.env.NO_COLOR;
    const say = (text: string) => process.stdout.write(bold ? `\n\u001b[1m▶ ${text}\u001b[0m\n` : `\n▶ ${text}\n`);
    fs.mkdirSync(flags.dir, { recursive: true });
    const local = path.join(flags.dir, 'hesap-paylas.db');

    say('Creating the sample database of the bill-splitting app with TypeORM');
    // TypeORM is loaded only here: no other command pays for it.
    const { createSampleDatabase } = await import('../demo/seed.js');
    const { rows } = await createSampleDatabase(local);
    this.log(`  ${local}: ${rows} rows in users, groups, group_members, orders, order_items, member_bills`);

    let remote: string;
    let stop: (() => void) | undefined;
    let dropDatabase: (() => Promise<void>) | undefined;
    const configured = flags.remote ?? resolveRemote().value;
    if (configured) {
      say(`Creating a fresh database for the demo on ${redactUrl(configured)}`);
      ({ url: remote, drop: dropDatabase } = await createDemoDatabase(configured));
    } else {
      say('No remote URL configured: starting an embedded PostgreSQL (first start takes a few seconds)');
      const { startEmbeddedPostgres } = await import('@hesap/embedded-pg');
      const server = await startEmbeddedPostgres();
      stop = server.stop;
      remote = server.url;
    }
    this.log(`  remote: ${redactUrl(remote)}`);

    try {
      const common = ['--local', local, '--remote', remote];
      say('hesap db status');
      await this.config.runCommand('db:status', common);
      say('hesap db push');
      await this.config.runCommand('db:push', common);
      say('hesap db verify');
      await this.config.runCommand('db:verify', common);
      say('hesap db status');
      await this.config.runCommand('db:status', common);
      process.exitCode = process.exitCode ?? 0;
      say(process.exitCode === 0 ? 'Done: every table pushed and verified.' : 'The demo did not finish cleanly; see above.');
    } finally {
      await dropDatabase?.().catch(() => undefined);
      stop?.();
    }
  }
}

async function createDemoDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const { Client } = await import('pg');
  const name = `hesap_demo_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
