#!/usr/bin/env node
'use strict';
/**
 * The "hand-written sync script" baseline: what teams write before they have a tool.
 * Reads a SQLite table with better-sqlite3 and sends it to PostgreSQL with the pg client
 * as multi-row INSERTs (100 rows per statement, parameters), all in one transaction.
 *
 *   node tools/bench/rowbyrow.js --local app.db --remote postgresql://... --table orders [--batch 100] [--truncate]
 *
 * Prints {"table", "rows", "seconds"} as JSON.
 */
const Database = require('better-sqlite3');
const { Client } = require('pg');

function args(argv) {
  const o = { batch: 100, truncate: false };
  require('./lib').eachArg(argv, (a, next) => {
    if (a === '--local') o.local = next();
    else if (a === '--remote') o.remote = next();
    else if (a === '--table') o.table = next();
    else if (a === '--batch') o.batch = Number(next());
    else if (a === '--truncate') o.truncate = true;
    else throw new Error(`unknown argument ${a}`);
  });
  if (!o.local || !o.remote || !o.table) throw new Error('--local, --remote and --table are required');
  return o;
}

const ident = (s) => `"${s.replace(/"/g, '""')}"`;

async function main() {
  const o = args(process.argv.slice(2));
  const started = process.hrtime.bigint();
  const db = new Database(o.local, { readonly: true });
  const columns = db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).pluck().all(o.table);
  const rows = db.prepare(`SELECT ${columns.map(ident).join(', ')} FROM ${ident(o.table)}`).raw(true).iterate();
  const client = new Client({ connectionString: o.remote });
  await client.connect();
  const head = `INSERT INTO ${ident(o.table)} (${columns.map(ident).join(', ')}) VALUES `;
  const sqlFor = (n) => {
    const tuples = [];
    for (let r = 0; r < n; r++) tuples.push(`(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
    return head + tuples.join(', ');
  };
  const full = sqlFor(o.batch);
  let count = 0;
  try {
    await client.query('BEGIN');
    if (o.truncate) await client.query(`TRUNCATE ${ident(o.table)}`);
    let values = [];
    let n = 0;
    for (const row of rows) {
      for (const v of row) values.push(v);
      if (++n === o.batch) {
        await client.query(full, values);
        count += n;
        values = [];
        n = 0;
      }
    }
    if (n > 0) {
      await client.query(sqlFor(n), values);
      count += n;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
    db.close();
  }
  console.log(JSON.stringify({ table: o.table, rows: count, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
}

main().catch((error) => {
  console.error(`rowbyrow: ${error.message}`);
  process.exit(1);
});
