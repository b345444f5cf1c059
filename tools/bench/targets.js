'use strict';
/**
 * The untimed setup before the rounds: a database per data set holding every row (the
 * replace target and the pull source), ready CSV files and an empty schema file for the
 * baselines, a probe of what this hesap supports, and the half-full targets of the merge.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const Database = require('better-sqlite3');
const { CLI, sh, run } = require('./lib');
const { createSchemaFile } = require('./generate');
const { ALL_TABLES, log, sqliteSelect, hesapResult, csvBytesOf } = require('./context');

/** Sets up what the operations need; returns the ready CSV files, the schema file and what is supported. */
async function prepareTargets(ctx) {
  await fullTargets(ctx);
  const { csvDir, readyCsv, schemaFile } = await readyFiles(ctx);
  const support = await probeSupport(ctx);
  await halfTargets(ctx, support);
  return { csvDir, readyCsv, schemaFile, support };
}

/** One database per data set holding the full rows (the replace target, the pull source); notes each data set's CSV bytes. */
async function fullTargets(ctx) {
  const { file, selectedDatasets, db, url, createDb, tablesFlag, runHesap, checkPg } = ctx;
  for (const ds of selectedDatasets) {
    const name = db(ds.id, 'full');
    log(`preparing ${name} (hesap db push, untimed)`);
    await createDb(name);
    const r = await runHesap(['db', 'push', '--mode', 'create', '--local', file, '--remote', url(name), '--json', ...tablesFlag(ds)]);
    const res = hesapResult(r);
    if (res.error) throw new Error(`the first push of ${ds.id} failed: ${res.error}`);
    ds.csvBytes = csvBytesOf(res.doc);
    ds.notes = (res.doc.notes ?? []).map((n) => n.code);
    await checkPg(ds, name);
  }
}

/** Ready CSV files (the server's ingest alone) and an empty schema file (the lossy pull). */
async function readyFiles(ctx) {
  const { tmpDir, tools, file, columns } = ctx;
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
  return { csvDir, readyCsv, schemaFile };
}

/** What this hesap has: merge mode, snapshots. */
async function probeSupport(ctx) {
  const { tmpDir, admin, url, createDb, runHesap } = ctx;
  const support = { merge: { ok: false, reason: '' }, snapshot: { ok: false, reason: '' } };
  const probe = path.join(tmpDir, 'probe.db');
  const p = new Database(probe);
  p.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a')");
  p.close();
  const name = 'hesap_bench_probe';
  await createDb(name);
  await runHesap(['db', 'push', '--mode', 'create', '--local', probe, '--remote', url(name), '--json']);
  const r = hesapResult(await runHesap(['db', 'push', '--mode', 'merge', '--local', probe, '--remote', url(name), '--json']));
  if (r.error) support.merge.reason = `\`--mode merge\` answers ${r.error}`;
  else support.merge.ok = true;
  await admin.drop(name);
  const help = spawnSync(process.execPath, [CLI, 'db', 'snapshot', 'create', '--help'], { encoding: 'utf8' });
  const help2 = spawnSync(process.execPath, [CLI, 'db', 'snapshot', 'restore', '--help'], { encoding: 'utf8' });
  if (help.status === 0 && help2.status === 0) support.snapshot.ok = true;
  else support.snapshot.reason = `\`hesap db snapshot\`: ${(help.stderr || help2.stderr).replace(/[›\s]+/g, ' ').trim() || 'missing'}`;
  log(`merge: ${support.merge.ok ? 'yes' : support.merge.reason}; snapshot: ${support.snapshot.ok ? 'yes' : support.snapshot.reason}`);
  return support;
}

/** For each data set the merge is timed on, a target holding half the rows. */
async function halfTargets(ctx, support) {
  const { tmpDir, admin, data, file, selectedDatasets, halfOf, url, createDb, mergeSource, tablesFlag, runHesap, wanted } = ctx;
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
      const r = hesapResult(await runHesap(['db', 'push', '--mode', 'merge', '--yes', '--local', halfFile, '--remote', url(halfOf(ds)), '--json', ...mergeSource, ...tablesFlag(ds)]));
      if (r.error) throw new Error(`pushing the half database failed: ${r.error}`);
      // A production database in use has been vacuumed and analysed by autovacuum; a copy of
      // one fresh from a load has neither, and autovacuum would start on it during a timed run.
      await admin.query('VACUUM ANALYZE', halfOf(ds));
    }
    fs.rmSync(halfFile, { force: true });
  }
}

module.exports = { prepareTargets };
