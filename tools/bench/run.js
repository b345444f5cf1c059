#!/usr/bin/env node
'use strict';
/**
 * The benchmark: hesap push / pull / snapshot against the usual ways of moving the same
 * data, on the bill-splitting database at scale (see generate.js).
 *
 *   npm run bench -- [--rounds 3] [--scale 1] [--orders N] [--only push,pipe] [--datasets orders,all]
 *                    [--rss-scaling] [--work-dir DIR] [--out-dir docs/benchmarks] [--regenerate] [--keep]
 *
 * Every operation runs once per round, and the rounds interleave all operations (each
 * round in a rotated order), so machine noise falls on all of them alike; the report
 * gives medians. Each timed run is a whole process from spawn to exit (Node start,
 * connection, schema work, data, commit), preceded by an untimed CHECKPOINT and any
 * setup it needs (a fresh database, a removed output file).
 *
 * PostgreSQL: HESAP_BENCH_PG_URL, else postgresql://postgres@127.0.0.1:5432/postgres. The
 * benchmark creates and drops its own databases, all named hesap_bench_*.
 * Writes docs/benchmarks/latest.md, latest.svg and raw/<date>.json.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { eachArg, ROOT, CLI, DEFAULT_PG_URL, sh, ident, which, redact, databaseUrl, measure, run, PgAdmin, machineFacts, median } = require('./lib');
const { generate, createSchemaFile } = require('./generate');
const { writeReports } = require('./report');

const ALL_TABLES = ['users', 'groups', 'group_members', 'orders', 'order_items', 'member_bills'];

function parseArgs(argv) {
  const o = {
    rounds: 3,
    scale: 1,
    orders: undefined,
    only: undefined,
    datasets: ['orders', 'all'],
    rssScaling: false,
    workDir: path.join(os.tmpdir(), 'hesap-bench'),
    outDir: path.join(ROOT, 'docs/benchmarks'),
    regenerate: false,
    keep: false,
    timeout: 900,
  };
  eachArg(argv, (a, next) => {
    if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--scale') o.scale = Number(next());
    else if (a === '--orders') o.orders = Number(next());
    else if (a === '--only') o.only = next().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--datasets') o.datasets = next().split(',').map((s) => s.trim());
    else if (a === '--rss-scaling') o.rssScaling = true;
    else if (a === '--work-dir') o.workDir = path.resolve(next());
    else if (a === '--out-dir') o.outDir = path.resolve(next());
    else if (a === '--regenerate') o.regenerate = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--timeout') o.timeout = Number(next());
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(__filename, 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (see --help)`);
  });
  if (!(o.rounds >= 1)) throw new Error('--rounds must be at least 1');
  for (const d of o.datasets) if (!['orders', 'all'].includes(d)) throw new Error(`unknown dataset ${d} (orders, all)`);
  return o;
}

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

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const commandLine = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  if (!fs.existsSync(path.join(ROOT, 'apps/cli/dist/commands/index.js'))) throw new Error('apps/cli is not built: run `npm run build` first');
  fs.mkdirSync(o.workDir, { recursive: true });
  const tmpDir = fs.mkdtempSync(path.join(o.workDir, 'run-'));
  const pgUrl = process.env.HESAP_BENCH_PG_URL || DEFAULT_PG_URL;
  const admin = new PgAdmin(pgUrl);
  const tools = { sqlite3: which('sqlite3'), psql: which('psql'), pgloader: which('pgloader'), time: fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined };
  log(`PostgreSQL ${redact(pgUrl)}; tools: ${Object.entries(tools).map(([k, v]) => `${k}=${v ? 'yes' : 'no'}`).join(', ')}`);
  const facts = await machineFacts(admin, tools);
  if (facts.postgres.startsWith('unreachable')) throw new Error(`PostgreSQL ${redact(pgUrl)} is ${facts.postgres}`);

  // ---- data ----
  const data = await dataFile(o, `bench-s${o.scale}${o.orders ? `-o${o.orders}` : ''}`, { scale: o.scale, orders: o.orders });
  const file = data.file;
  const Database = require('better-sqlite3');
  const columns = {};
  {
    const db = new Database(file, { readonly: true });
    for (const t of ALL_TABLES) columns[t] = db.prepare('SELECT name, type FROM pragma_table_info(?) ORDER BY cid').all(t);
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
  /** A hesap --json result: the document, or the error it carries. */
  const hesapResult = (r) => {
    let doc;
    try {
      doc = JSON.parse(r.stdout);
    } catch {
      // not JSON: a crash or a missing command
    }
    if (doc?.error) return { error: `${doc.error.code}: ${doc.error.message}`, code: doc.error.code };
    if (r.code !== 0) return { error: (r.stderr.trim().split('\n').pop() || `exit ${r.code}`).slice(0, 300) };
    return { doc };
  };
  const csvBytesOf = (doc) => (doc?.tables ?? []).reduce((n, t) => n + (t.bytes ?? 0), 0);

  // ---- fixed targets: one database per data set holding the full rows (replace target, pull source) ----
  const selectedDatasets = o.datasets.map((d) => datasets[d]);
  for (const ds of selectedDatasets) {
    const name = db(ds.id, 'full');
    log(`preparing ${name} (hesap db push, untimed)`);
    await createDb(name);
    const r = await measure({ ...hesap(['db', 'push', '--mode', 'create', '--local', file, '--remote', url(name), '--json', ...tablesFlag(ds)]), cwd: tmpDir, tmpDir });
    const res = hesapResult(r);
    if (res.error) throw new Error(`the first push of ${ds.id} failed: ${res.error}`);
    ds.csvBytes = csvBytesOf(res.doc);
    ds.notes = (res.doc.notes ?? []).map((n) => n.code);
    await checkPg(ds, name);
  }

  // ---- ready CSV files (server ingest alone) and an empty schema file (lossy pull) ----
  const csvDir = path.join(tmpDir, 'csv');
  fs.mkdirSync(csvDir);
  const readyCsv = {};
  if (tools.sqlite3) {
    for (const t of ALL_TABLES) {
      const target = path.join(csvDir, `${t}.csv`);
      run('bash', ['-o', 'pipefail', '-c', `${sh(tools.sqlite3)} -csv ${sh(file)} ${sh(sqliteSelect(columns[t], t))} > ${sh(target)}`]);
      readyCsv[t] = { file: target, bytes: fs.statSync(target).size };
      // the whole-database pipe reads each table through a program psql starts
      fs.writeFileSync(path.join(csvDir, `${t}.sh`), `exec ${sh(tools.sqlite3)} -csv ${sh(file)} ${sh(sqliteSelect(columns[t], t))}\n`);
    }
  }
  const schemaFile = path.join(tmpDir, 'schema.db');
  await createSchemaFile(schemaFile);

  // ---- what exists: merge mode, snapshots ----
  const support = { merge: { ok: false, reason: '' }, snapshot: { ok: false, reason: '' } };
  {
    const probe = path.join(tmpDir, 'probe.db');
    const p = new Database(probe);
    p.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a')");
    p.close();
    const name = 'hesap_bench_probe';
    await createDb(name);
    await measure({ ...hesap(['db', 'push', '--mode', 'create', '--local', probe, '--remote', url(name), '--json']), cwd: tmpDir, tmpDir });
    const r = hesapResult(await measure({ ...hesap(['db', 'push', '--mode', 'merge', '--local', probe, '--remote', url(name), '--json']), cwd: tmpDir, tmpDir }));
    if (r.error) support.merge.reason = `\`--mode merge\` answers ${r.error}`;
    else support.merge.ok = true;
    await admin.drop(name);
    const help = spawnSync(process.execPath, [CLI, 'db', 'snapshot', 'create', '--help'], { encoding: 'utf8' });
    const help2 = spawnSync(process.execPath, [CLI, 'db', 'snapshot', 'restore', '--help'], { encoding: 'utf8' });
    if (help.status === 0 && help2.status === 0) support.snapshot.ok = true;
    else support.snapshot.reason = `\`hesap db snapshot\`: ${(help.stderr || help2.stderr).replace(/[›\s]+/g, ' ').trim() || 'missing'}`;
    log(`merge: ${support.merge.ok ? 'yes' : support.merge.reason}; snapshot: ${support.snapshot.ok ? 'yes' : support.snapshot.reason}`);
  }
  const wanted = (id) => !o.only || o.only.some((f) => id.includes(f));
  const mergeSets = support.merge.ok ? selectedDatasets.filter((ds) => wanted(`${ds.id}.push.merge`)) : [];
  if (mergeSets.length > 0) {
    // A target holding half the rows: the first half of the orders with their items and
    // bills, half the memberships, every user and group (the parents of the rest). Made
    // in SQLite and pushed by hesap, so its tables are the ones hesap makes. Each data set
    // gets the same tables its replace target has: for the orders alone, the orders table
    // alone (no users or groups, so no foreign keys), as the replace target was made.
    const halfFile = path.join(tmpDir, 'half.db');
    fs.copyFileSync(file, halfFile);
    const h = new Database(halfFile);
    // better-sqlite3 turns foreign keys on; each deleted order would scan the children.
    h.pragma('foreign_keys = OFF');
    const half = Math.floor(data.counts.orders / 2);
    h.exec(
      `DELETE FROM member_bills WHERE order_id > ${half}; DELETE FROM order_items WHERE order_id > ${half}; ` +
        `DELETE FROM orders WHERE id > ${half}; DELETE FROM group_members WHERE group_id % 2 = 0;`,
    );
    h.close();
    for (const ds of mergeSets) {
      log(`preparing ${halfOf(ds)} (half the rows, untimed)`);
      // Pushed with --mode merge (the default), as a user's earlier push would have been, so
      // the target remembers which rows came from this source (hesap's identity map): under
      // the source id of the timed pushes (by default it is the file's path, and this is
      // another file).
      await createDb(halfOf(ds));
      const r = hesapResult(await measure({ ...hesap(['db', 'push', '--mode', 'merge', '--yes', '--local', halfFile, '--remote', url(halfOf(ds)), '--json', ...mergeSource, ...tablesFlag(ds)]), cwd: tmpDir, tmpDir }));
      if (r.error) throw new Error(`pushing the half database failed: ${r.error}`);
      // A production database in use has been vacuumed and analysed by autovacuum; a copy of
      // one fresh from a load has neither, and autovacuum would start on it during a timed run.
      await admin.query('VACUUM ANALYZE', halfOf(ds));
    }
    fs.rmSync(halfFile, { force: true });
  }
  const snapshots = {};
  const snapshotArg = (doc, dir) => {
    for (const k of ['snapshot', 'path', 'file', 'id', 'name']) {
      const v = doc?.[k] ?? doc?.snapshot?.[k];
      if (typeof v === 'string' && v) return v;
    }
    const entries = fs.readdirSync(dir).map((f) => path.join(dir, f));
    entries.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    return entries[0];
  };

  // ---- the operations ----
  const ops = [];
  const na = [];
  const add = (op) => {
    if (!wanted(op.id)) return;
    if (op.unavailable) na.push({ id: op.id, dataset: op.dataset, label: op.label, reason: op.unavailable });
    else ops.push(op);
  };
  add({
    id: 'cli.startup',
    dataset: 'cli',
    label: 'hesap db push --help (Node + oclif start)',
    kind: 'hesap',
    command: () => hesap(['db', 'push', '--help']),
  });
  for (const ds of selectedDatasets) {
    const full = db(ds.id, 'full');
    const fresh = db(ds.id, 'new');
    const out = path.join(tmpDir, `pulled-${ds.id}.db`);
    const truncate = `TRUNCATE ${ds.tables.map(ident).join(', ')}`;
    const colList = (t) => `(${columns[t].map((c) => ident(c.name)).join(', ')})`;
    const base = { dataset: ds.id };

    add({
      ...base,
      id: `${ds.id}.push.replace`,
      label: 'hesap db push --mode replace',
      kind: 'hesap',
      command: () => hesap(['db', 'push', '--mode', 'replace', '--yes', '--json', '--local', file, '--remote', url(full), ...tablesFlag(ds)]),
      check: () => checkPg(ds, full),
    });
    add({
      ...base,
      id: `${ds.id}.push.create`,
      label: 'hesap db push --mode create (into an empty database)',
      kind: 'hesap',
      setup: () => createDb(fresh),
      command: () => hesap(['db', 'push', '--mode', 'create', '--json', '--local', file, '--remote', url(fresh), ...tablesFlag(ds)]),
      check: () => checkPg(ds, fresh),
    });
    add({
      ...base,
      id: `${ds.id}.push.merge`,
      label: 'hesap db push --mode merge (target holds half)',
      kind: 'hesap',
      unavailable: support.merge.ok ? undefined : support.merge.reason,
      setup: () => createDb(db(ds.id, 'merge'), halfOf(ds)),
      command: () => hesap(['db', 'push', '--mode', 'merge', '--yes', '--json', '--local', file, '--remote', url(db(ds.id, 'merge')), ...mergeSource, ...tablesFlag(ds)]),
      check: () => checkPg(ds, db(ds.id, 'merge')),
    });
    add({
      ...base,
      id: `${ds.id}.pull`,
      label: 'hesap db pull (into a new file)',
      kind: 'hesap',
      setup: () => fs.rmSync(out, { force: true }),
      command: () => hesap(['db', 'pull', '--yes', '--json', '--local', out, '--remote', url(full), ...tablesFlag(ds)]),
      check: () => checkFile(ds, out),
    });
    if (ds.id === 'all') {
      for (const side of ['remote', 'local']) {
        const dir = path.join(tmpDir, `snap-${side}`);
        add({
          ...base,
          id: `all.snapshot.create.${side}`,
          label: `hesap db snapshot create --from ${side}`,
          kind: 'hesap',
          unavailable: support.snapshot.ok ? undefined : support.snapshot.reason,
          setup: () => {
            fs.rmSync(dir, { recursive: true, force: true });
            fs.mkdirSync(dir, { recursive: true });
          },
          command: () => hesap(['db', 'snapshot', 'create', '--from', side, '--dir', dir, '--json', '--local', file, '--remote', url(full)]),
          after: (doc) => {
            snapshots[side] = snapshotArg(doc, dir);
          },
        });
        const restored = side === 'remote' ? db('all', 'restored') : path.join(tmpDir, 'restored.db');
        add({
          ...base,
          id: `all.snapshot.restore.${side}`,
          label: `hesap db snapshot restore --to ${side}`,
          kind: 'hesap',
          unavailable: support.snapshot.ok ? undefined : support.snapshot.reason,
          setup: async () => {
            if (!snapshots[side]) {
              // a snapshot to restore, made untimed when no create ran before this
              fs.rmSync(`${dir}-ref`, { recursive: true, force: true });
              fs.mkdirSync(`${dir}-ref`, { recursive: true });
              const r = hesapResult(
                await measure({ ...hesap(['db', 'snapshot', 'create', '--from', side, '--dir', `${dir}-ref`, '--json', '--local', file, '--remote', url(full)]), cwd: tmpDir, tmpDir }),
              );
              if (r.error) throw new Error(`making a snapshot to restore failed: ${r.error}`);
              snapshots[side] = snapshotArg(r.doc, `${dir}-ref`);
            }
            if (side === 'remote') await createDb(restored);
            else fs.rmSync(restored, { force: true });
          },
          command: () =>
            hesap(['db', 'snapshot', 'restore', snapshots[side], '--to', side, '--yes', '--json', ...(side === 'remote' ? ['--remote', url(restored)] : ['--local', restored])]),
          check: () => (side === 'remote' ? checkPg(ds, restored) : checkFile(ds, restored)),
        });
      }
    }

    // ---- baselines ----
    const needs = (...names) => {
      const missing = names.filter((n) => !tools[n]);
      return missing.length ? `${missing.join(', ')} not installed` : undefined;
    };
    const psql = (dbName) => `${sh(tools.psql)} -X -q -v ON_ERROR_STOP=1 ${sh(url(dbName))}`;
    add({
      ...base,
      id: `${ds.id}.base.pipe`,
      label: ds.id === 'orders' ? 'sqlite3 -csv | psql \\copy FROM STDIN' : 'sqlite3 -csv | psql \\copy FROM PROGRAM, per table',
      kind: 'baseline',
      unavailable: needs('sqlite3', 'psql'),
      command: () => {
        if (ds.id === 'orders') {
          return bash(
            `${sh(tools.sqlite3)} -csv ${sh(file)} ${sh(sqliteSelect(columns.orders, 'orders'))} | ` +
              `${psql(full)} -c BEGIN -c ${sh(truncate)} -c ${sh(`\\copy orders ${colList('orders')} FROM pstdin CSV`)} -c COMMIT`,
          );
        }
        const script = path.join(tmpDir, 'pipe-all.sql');
        const lines = ['BEGIN;', `${truncate};`, ...ds.tables.map((t) => `\\copy ${ident(t)} ${colList(t)} FROM PROGRAM 'sh ${path.join(csvDir, `${t}.sh`)}' CSV`), 'COMMIT;'];
        fs.writeFileSync(script, `${lines.join('\n')}\n`);
        return bash(`${psql(full)} -f ${sh(script)}`);
      },
      check: () => checkPg(ds, full),
    });
    add({
      ...base,
      id: `${ds.id}.base.ingest`,
      label: 'psql \\copy FROM a ready CSV file (server ingest alone)',
      kind: 'baseline',
      unavailable: needs('sqlite3', 'psql'),
      command: () => {
        const script = path.join(tmpDir, `ingest-${ds.id}.sql`);
        const lines = ['BEGIN;', `${truncate};`, ...ds.tables.map((t) => `\\copy ${ident(t)} ${colList(t)} FROM '${readyCsv[t].file}' CSV`), 'COMMIT;'];
        fs.writeFileSync(script, `${lines.join('\n')}\n`);
        return bash(`${psql(full)} -f ${sh(script)}`);
      },
      check: () => checkPg(ds, full),
    });
    add({
      ...base,
      id: `${ds.id}.base.lossy-pull`,
      label: 'psql \\copy TO + sqlite3 .import (lossy pull)',
      kind: 'baseline',
      unavailable: needs('sqlite3', 'psql'),
      setup: () => {
        fs.rmSync(out, { force: true });
        fs.copyFileSync(schemaFile, out);
      },
      command: () => {
        const dir = path.join(tmpDir, 'lossy');
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
        const script = path.join(tmpDir, `lossy-${ds.id}.sql`);
        const lines = ['BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;', ...ds.tables.map((t) => `\\copy ${ident(t)} ${colList(t)} TO '${path.join(dir, `${t}.csv`)}' CSV`), 'COMMIT;'];
        fs.writeFileSync(script, `${lines.join('\n')}\n`);
        const imports = ds.tables.map((t) => `-cmd ${sh(`.import --csv ${path.join(dir, `${t}.csv`)} ${t}`)}`).join(' ');
        return bash(`${psql(full)} -f ${sh(script)} && ${sh(tools.sqlite3)} -bail ${imports} ${sh(out)} .quit && rm -rf ${sh(dir)}`);
      },
      check: () => checkFile(ds, out),
    });
    add({
      ...base,
      id: `${ds.id}.base.pgloader`,
      label: 'pgloader (into an empty database)',
      kind: 'baseline',
      unavailable: needs('pgloader'),
      setup: () => createDb(fresh),
      command: () => {
        const load = path.join(tmpDir, `pgloader-${ds.id}.load`);
        fs.writeFileSync(
          load,
          `LOAD DATABASE\n  FROM sqlite://${file}\n  INTO ${url(fresh)}\n  WITH include drop, create tables, create indexes, reset sequences, foreign keys\n` +
            (ds.id === 'orders' ? "  INCLUDING ONLY TABLE NAMES LIKE 'orders'" : '') +
            ';\n',
        );
        return bash(`${sh(tools.pgloader)} --on-error-stop ${sh(load)}`);
      },
      check: () => checkPg(ds, fresh),
    });
    if (ds.id === 'orders') {
      add({
        ...base,
        id: 'orders.base.rowbyrow',
        label: 'Node script: pg INSERT, 100 rows a statement, one transaction',
        kind: 'baseline',
        command: () => ({ cmd: process.execPath, args: [path.join(__dirname, 'rowbyrow.js'), '--local', file, '--remote', url(full), '--table', 'orders', '--batch', '100', '--truncate'], node: true }),
        check: () => checkPg(ds, full),
      });
    }
  }
  const comparisons = [];
  for (const ds of selectedDatasets) {
    const d = ds.id;
    comparisons.push(
      { dataset: d, hesap: `${d}.push.replace`, baseline: `${d}.base.pipe` },
      { dataset: d, hesap: `${d}.push.replace`, baseline: `${d}.base.ingest` },
      ...(d === 'orders' ? [{ dataset: d, hesap: 'orders.push.replace', baseline: 'orders.base.rowbyrow' }] : []),
      { dataset: d, hesap: `${d}.push.create`, baseline: `${d}.base.pgloader` },
      { dataset: d, hesap: `${d}.pull`, baseline: `${d}.base.lossy-pull` },
      // hesap against itself: merge into a half-full target against replace (issue target 2×)
      { dataset: d, hesap: `${d}.push.merge`, baseline: `${d}.push.replace` },
    );
  }
  if (selectedDatasets.some((ds) => ds.id === 'all')) {
    // snapshots against the push or pull that reads the same side and writes as much (target 1.5×)
    comparisons.push(
      { dataset: 'all', hesap: 'all.snapshot.create.remote', baseline: 'all.pull' },
      { dataset: 'all', hesap: 'all.snapshot.create.local', baseline: 'all.push.create' },
      { dataset: 'all', hesap: 'all.snapshot.restore.remote', baseline: 'all.push.create' },
      { dataset: 'all', hesap: 'all.snapshot.restore.local', baseline: 'all.pull' },
    );
  }

  // ---- the rounds ----
  const results = Object.fromEntries(ops.map((op) => [op.id, []]));
  log(`${ops.length} operations × ${o.rounds} rounds; not available: ${na.map((n) => n.id).join(', ') || 'none'}`);
  for (let round = 0; round < o.rounds; round++) {
    const shift = Math.floor((round * ops.length) / o.rounds);
    const order = ops.map((_, i) => ops[(i + shift) % ops.length]);
    for (const op of order) {
      const entry = { round: round + 1 };
      if (op.timedOut) {
        entry.error = `skipped: it ran over ${o.timeout} s in an earlier round`;
        entry.skipped = true;
        results[op.id].push(entry);
        continue;
      }
      try {
        await op.setup?.();
        await admin.checkpoint();
        const r = await measure({ ...op.command(), cwd: tmpDir, tmpDir, timeFile: tools.time, timeoutSeconds: o.timeout });
        Object.assign(entry, { seconds: r.seconds, rssBytes: r.rssBytes, cpuSeconds: r.cpuSeconds, exit: r.code });
        if (r.timedOut) {
          op.timedOut = true;
          entry.timedOut = true;
          throw new Error(`stopped after ${o.timeout} s (--timeout)`);
        }
        if (op.kind === 'hesap') {
          const res = hesapResult(r);
          if (res.error) throw Object.assign(new Error(res.error), { code: res.code });
          entry.csvBytes = csvBytesOf(res.doc) || undefined;
          op.after?.(res.doc);
        } else if (r.code !== 0) {
          throw new Error((r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${r.code}`).slice(0, 400));
        }
        await op.check?.();
      } catch (error) {
        entry.error = error.message;
        entry.code = error.code;
        // A stopped client can leave its statement running in the server: end it before the next run.
        await admin
          .query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname LIKE 'hesap\\_bench\\_%' AND pid <> pg_backend_pid()")
          .catch(() => undefined);
      }
      results[op.id].push(entry);
      log(`round ${round + 1} ${op.id}: ${entry.error ? `FAILED ${entry.error}` : `${entry.seconds.toFixed(2)} s, ${entry.rssBytes ? `${(entry.rssBytes / 2 ** 20).toFixed(0)} MiB` : '? MiB'}`}`);
    }
  }

  // ---- peak RSS at 1M and 10M orders ----
  let rssScaling;
  if (o.rssScaling) {
    rssScaling = [];
    try {
    // Ten times the orders (10M at the default scale), without items and bills.
    const tenfold = 10 * data.counts.orders;
    const big = await dataFile(o, `bench-orders-${tenfold}`, { scale: o.scale, orders: tenfold, only: 'orders' });
    for (const [label, f, rows] of [
      [`${data.counts.orders} orders`, file, data.counts.orders],
      [`${tenfold} orders`, big.file, big.counts.orders],
    ]) {
      const name = db('rss', 'new');
      await createDb(name);
      await admin.checkpoint();
      const push = await measure({ ...hesap(['db', 'push', '--mode', 'create', '--json', '--tables', 'orders', '--local', f, '--remote', url(name)]), cwd: tmpDir, tmpDir });
      const pushRes = hesapResult(push);
      const out = path.join(tmpDir, 'rss-pull.db');
      fs.rmSync(out, { force: true });
      await admin.checkpoint();
      const pull = await measure({ ...hesap(['db', 'pull', '--yes', '--json', '--tables', 'orders', '--local', out, '--remote', url(name)]), cwd: tmpDir, tmpDir });
      const pullRes = hesapResult(pull);
      rssScaling.push({
        label,
        rows,
        push: { seconds: push.seconds, rssBytes: push.rssBytes, error: pushRes.error, csvBytes: csvBytesOf(pushRes.doc) },
        pull: { seconds: pull.seconds, rssBytes: pull.rssBytes, error: pullRes.error },
      });
      log(`rss ${label}: push ${(push.rssBytes / 2 ** 20).toFixed(0)} MiB, pull ${(pull.rssBytes / 2 ** 20).toFixed(0)} MiB`);
      fs.rmSync(out, { force: true });
      await admin.drop(name);
    }
    } catch (error) {
      log(`--rss-scaling failed: ${error.message}`);
      rssScaling.push({ label: 'error', error: error.message });
    }
  }

  // ---- summary ----
  const summary = {};
  for (const op of ops) {
    const ok = results[op.id].filter((e) => !e.error);
    const failed = results[op.id].filter((e) => e.error);
    const unsupported = failed.find((e) => e.code === 'UNSUPPORTED');
    const timedOut = failed.some((e) => e.timedOut);
    const secs = ok.map((e) => e.seconds);
    const ds = datasets[op.dataset];
    const s = {
      id: op.id,
      dataset: op.dataset,
      label: op.label,
      kind: op.kind,
      runs: ok.length,
      failures: failed.length,
      error: unsupported ? `n/a: ${unsupported.error}` : failed.find((e) => !e.skipped)?.error,
      timedOut: timedOut ? o.timeout : undefined,
      median: median(secs),
      min: secs.length ? Math.min(...secs) : undefined,
      max: secs.length ? Math.max(...secs) : undefined,
      rssBytes: median(ok.map((e) => e.rssBytes).filter((x) => x !== undefined)),
      cpuSeconds: median(ok.map((e) => e.cpuSeconds).filter((x) => x !== undefined)),
    };
    if (ds && s.median) {
      s.rowsPerSecond = ds.rows / s.median;
      s.mbPerSecond = ds.csvBytes / 1e6 / s.median;
    }
    summary[op.id] = s;
  }
  const ratios = comparisons
    .filter((c) => summary[c.hesap] || summary[c.baseline])
    .map((c) => {
      const h = summary[c.hesap]?.median;
      const b = summary[c.baseline]?.median;
      return { ...c, hesapLabel: summary[c.hesap]?.label ?? c.hesap, baselineLabel: summary[c.baseline]?.label ?? c.baseline, baselineIsHesap: summary[c.baseline]?.kind === 'hesap', hesapSeconds: h, baselineSeconds: b, ratio: h && b ? h / b : undefined };
    });

  const report = {
    date: new Date().toISOString(),
    commandLine,
    options: { ...o, workDir: undefined, outDir: undefined },
    pg: redact(pgUrl),
    facts,
    data: { file: path.basename(file), counts: data.counts, rows: data.rows, fileBytes: data.bytes, generateSeconds: data.seconds, scale: o.scale, orders: o.orders },
    datasets: Object.fromEntries(selectedDatasets.map((d) => [d.id, { title: d.title, tables: d.tables, rows: d.rows, csvBytes: d.csvBytes, readyCsvBytes: d.tables.reduce((n, t) => n + (readyCsv[t]?.bytes ?? 0), 0) || undefined, notes: d.notes }])),
    support,
    notAvailable: na,
    summary,
    ratios,
    rssScaling,
    results,
  };
  facts.loadAverage = `${facts.loadAverage} at the start, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`;
  const written = writeReports(report, o.outDir);
  log(`wrote ${written.join(', ')}`);

  if (!o.keep) {
    for (const name of [...created]) await admin.drop(name).catch(() => undefined);
    fs.rmSync(tmpDir, { recursive: true, force: true });
  } else log(`kept ${tmpDir} and the databases ${[...created].join(', ')}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    // The measured processes run in their own process groups: end them too.
    require('./lib').stopAll();
    process.exit(130);
  });
}

main().catch((error) => {
  console.error(`bench: ${error.stack ?? error.message}`);
  process.exit(1);
});
