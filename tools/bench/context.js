'use strict';
/**
 * What every step of a benchmark run shares: the options, the run's work directory,
 * PostgreSQL, the tools found, the data file with its data sets, and the small helpers that
 * name databases, spawn hesap and check row counts.
 */
const fs = require('node:fs');
const path = require('node:path');
const Database = require('better-sqlite3');
const { ROOT, CLI, DEFAULT_PG_URL, ident, which, redact, databaseUrl, measure, PgAdmin, machineFacts } = require('./lib');
const { generate } = require('./generate');

const ALL_TABLES = ['users', 'groups', 'group_members', 'orders', 'order_items', 'member_bills'];

const log = (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** The SELECT that makes the sqlite3 shell print a table as PostgreSQL CSV (BLOBs as \x hex). */
function sqliteSelect(columns, table) {
  const list = columns.map((c) => (/blob/i.test(c.type) ? `CASE WHEN ${ident(c.name)} IS NULL THEN NULL ELSE '\\x' || hex(${ident(c.name)}) END` : ident(c.name)));
  return `SELECT ${list.join(', ')} FROM ${ident(table)}`;
}

/** The data file: generated once per scale and kept in the work directory. */
async function dataFile(o, name, params) {
  const file = path.join(o.workDir, `${name}.db`);
  const meta = `${file}.json`;
  if (!o.regenerate && fs.existsSync(file) && fs.existsSync(meta)) {
    const m = JSON.parse(fs.readFileSync(meta, 'utf8'));
    log(`reusing ${file} (generated in ${m.seconds.toFixed(1)} s; --regenerate to make it again)`);
    return m;
  }
  log(`generating ${file} ${JSON.stringify(params)}`);
  const r = await generate({ out: file, ...params, quiet: false });
  fs.writeFileSync(meta, JSON.stringify(r));
  return r;
}

/** A hesap --json result: the document, or the error it carries. */
function hesapResult(r) {
  let doc;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    // not JSON: a crash or a missing command
  }
  if (doc?.error) return { error: `${doc.error.code}: ${doc.error.message}`, code: doc.error.code };
  if (r.code !== 0) return { error: (r.stderr.trim().split('\n').pop() || `exit ${r.code}`).slice(0, 300) };
  return { doc };
}

const csvBytesOf = (doc) => (doc?.tables ?? []).reduce((n, t) => n + (t.bytes ?? 0), 0);

/** Opens a run: checks the build, makes the work directory, reaches PostgreSQL, generates or reuses the data. */
async function createContext(o) {
  if (!fs.existsSync(path.join(ROOT, 'apps/cli/dist/commands/index.js'))) throw new Error('apps/cli is not built: run `npm run build` first');
  fs.mkdirSync(o.workDir, { recursive: true });
  const tmpDir = fs.mkdtempSync(path.join(o.workDir, 'run-'));
  const pgUrl = process.env.HESAP_BENCH_PG_URL || DEFAULT_PG_URL;
  const admin = new PgAdmin(pgUrl);
  const tools = { sqlite3: which('sqlite3'), psql: which('psql'), pgloader: which('pgloader'), time: fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined };
  log(`PostgreSQL ${redact(pgUrl)}; tools: ${Object.entries(tools).map(([k, v]) => `${k}=${v ? 'yes' : 'no'}`).join(', ')}`);
  const facts = await machineFacts(admin, tools);
  if (facts.postgres.startsWith('unreachable')) throw new Error(`PostgreSQL ${redact(pgUrl)} is ${facts.postgres}`);

  const data = await dataFile(o, `bench-s${o.scale}${o.orders ? `-o${o.orders}` : ''}`, { scale: o.scale, orders: o.orders });
  const file = data.file;
  const columns = {};
  {
    const db = new Database(file, { readonly: true });
    for (const t of ALL_TABLES) columns[t] = db.prepare('SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid').all(t);
    db.close();
  }
  const datasets = {
    orders: { id: 'orders', tables: ['orders'], rows: data.counts.orders },
    all: { id: 'all', tables: ALL_TABLES, rows: data.rows },
  };
  for (const d of Object.values(datasets)) d.title = d.id === 'orders' ? `orders table (${d.rows.toLocaleString('en')} rows)` : `whole database (${d.tables.length} tables, ${d.rows.toLocaleString('en')} rows)`;
  const db = (ds, role) => `hesap_bench_${ds}_${role}`;
  const halfOf = (ds) => `hesap_bench_half_${ds.id}`;
  const url = (name) => databaseUrl(pgUrl, name);
  const created = new Set();
  const createDb = async (name, template) => {
    created.add(name);
    await admin.create(name, template);
  };
  const mergeSource = ['--source-id', 'hesap-bench'];
  const tablesFlag = (ds) => (ds.id === 'orders' ? ['--tables', 'orders'] : []);
  const hesap = (args) => ({ cmd: process.execPath, args: [CLI, ...args], node: true });
  const bash = (script) => ({ cmd: 'bash', args: ['-o', 'pipefail', '-c', script] });
  const expectCounts = (ds) => Object.fromEntries(ds.tables.map((t) => [t, data.counts[t]]));
  const checkPg = async (ds, database) => {
    for (const [t, n] of Object.entries(expectCounts(ds))) {
      const got = await admin.count(database, t);
      if (got !== n) throw new Error(`${t} holds ${got} rows in ${database}, expected ${n}`);
    }
  };
  const checkFile = (ds, target) => {
    const f = new Database(target, { readonly: true });
    try {
      for (const [t, n] of Object.entries(expectCounts(ds))) {
        const got = f.prepare(`SELECT count(*) FROM ${ident(t)}`).pluck().get();
        if (got !== n) throw new Error(`${t} holds ${got} rows in ${target}, expected ${n}`);
      }
    } finally {
      f.close();
    }
  };
  const selectedDatasets = o.datasets.map((d) => datasets[d]);
  const wanted = (id) => !o.only || o.only.some((f) => id.includes(f));
  /** Runs hesap once, outside the rounds (setup, the RSS runs): no timeout, no /usr/bin/time. */
  const runHesap = (args) => measure({ ...hesap(args), cwd: tmpDir, tmpDir });
  return {
    o,
    tmpDir,
    pgUrl,
    admin,
    tools,
    facts,
    data,
    file,
    columns,
    datasets,
    selectedDatasets,
    created,
    db,
    halfOf,
    url,
    createDb,
    mergeSource,
    tablesFlag,
    hesap,
    runHesap,
    bash,
    checkPg,
    checkFile,
    wanted,
    compare: o.compare,
  };
}

module.exports = { ALL_TABLES, log, sqliteSelect, dataFile, hesapResult, csvBytesOf, createContext };
