'use strict';
/**
 * The baselines a data set's hesap operations are compared with: the C pipe
 * (`sqlite3 -csv | psql \copy`), the server's ingest of a ready CSV file, a lossy pull
 * (`psql \copy TO` + `sqlite3 .import` into the app's schema), the pull pipe (the same into
 * tables declared with the same columns and INTEGER PRIMARY KEY, issue 24), pgloader, and a
 * row-by-row script (orders only).
 */
const fs = require('node:fs');
const path = require('node:path');
const { sh, ident } = require('./lib');
const { sqliteSelect } = require('./context');

/** Adds the data set's baselines through `add` (the operations' list). */
function addBaselines(ctx, prepared, ds, add) {
  const { tmpDir, tools, file, columns, db, url, createDb, bash, checkPg, checkFile } = ctx;
  const { csvDir, readyCsv, schemaFile } = prepared;
  const full = db(ds.id, 'full');
  const fresh = db(ds.id, 'new');
  const out = path.join(tmpDir, `pulled-${ds.id}.db`);
  const pipeOut = path.join(tmpDir, `pull-pipe-${ds.id}.db`);
  const truncate = `TRUNCATE ${ds.tables.map(ident).join(', ')}`;
  const colList = (t) => `(${columns[t].map((c) => ident(c.name)).join(', ')})`;
  const base = { dataset: ds.id };
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
    id: `${ds.id}.base.pull-pipe`,
    label: 'psql \\copy TO a CSV file + sqlite3 .import --csv (pull pipe)',
    kind: 'baseline',
    unavailable: needs('sqlite3', 'psql'),
    setup: () => fs.rmSync(pipeOut, { force: true }),
    command: () => {
      const dir = path.join(tmpDir, 'pull-pipe');
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      const script = path.join(tmpDir, `pull-pipe-${ds.id}.sql`);
      const lines = ['BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;', ...ds.tables.map((t) => `\\copy ${ident(t)} ${colList(t)} TO '${path.join(dir, `${t}.csv`)}' CSV`), 'COMMIT;'];
      fs.writeFileSync(script, `${lines.join('\n')}\n`);
      // Into a new file: each table declared with the source's columns and types, its key as
      // INTEGER PRIMARY KEY (the rowid), nothing else (issue 24's pull pipe).
      const steps = ds.tables.flatMap((t) => [`-cmd ${sh(plainTable(t, columns[t]))}`, `-cmd ${sh(`.import --csv ${path.join(dir, `${t}.csv`)} ${t}`)}`]).join(' ');
      return bash(`${psql(full)} -f ${sh(script)} && ${sh(tools.sqlite3)} -bail ${steps} ${sh(pipeOut)} .quit && rm -rf ${sh(dir)}`);
    },
    check: () => checkFile(ds, pipeOut),
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

/**
 * The pull pipe's table: the source's columns with their declared types, a one-column integer
 * key as INTEGER PRIMARY KEY, a wider key as PRIMARY KEY (...); no other constraint or index.
 */
function plainTable(table, columns) {
  const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  const rowid = key.length === 1 && /^int/i.test(key[0].type);
  const defs = columns.map((c) => `${ident(c.name)} ${rowid && c === key[0] ? 'INTEGER PRIMARY KEY' : c.type}`.trim());
  if (key.length > 0 && !rowid) defs.push(`PRIMARY KEY (${key.map((c) => ident(c.name)).join(', ')})`);
  return `CREATE TABLE ${ident(table)} (${defs.join(', ')});`;
}

module.exports = { addBaselines };
