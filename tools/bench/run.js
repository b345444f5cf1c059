#!/usr/bin/env node
'use strict';
/**
 * The benchmark: hesap push / pull / snapshot against the usual ways of moving the same
 * data, on the bill-splitting database at scale (see generate.js).
 *
 *   npm run bench -- [--rounds 3] [--scale 1] [--orders N] [--only push,pipe] [--datasets orders,all]
 *                    [--rss-scaling] [--work-dir DIR] [--out-dir docs/benchmarks] [--regenerate] [--keep]
 *                    [--compare DIR]
 *   npm run bench -- --wan [--wan-delay 25] [--wan-scale 0.0004] [--rounds 3]
 *   npm run bench -- --incremental [--rounds 3] [--orders N] [--scale 1] [--profile] [--no-vacuum]
 *
 * `--wan` runs only the long-link scenario instead (wan.js): a small model app through a
 * proxy that delays each way, round trips per command; writes docs/benchmarks/wan.md.
 * `--incremental` runs only the incremental-push scenario instead (incremental.js): the
 * orders pushed first, again unchanged, again after 100 changes, with and without
 * `--no-incremental`, times and bytes sent; writes docs/benchmarks/incremental.md.
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
 *
 * --compare DIR times another built checkout of hesap (DIR/apps/cli/bin/run.js) beside this
 * one: each hesap operation gets a twin run by that CLI in the same rounds, so a change is
 * judged against its own noise (an A/B of two commits in one run).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { eachArg, ROOT, redact } = require('./lib');
const { writeReports } = require('./report');
const { log, createContext } = require('./context');
const { prepareTargets } = require('./targets');
const { planOperations } = require('./operations');
const { runRounds } = require('./rounds');
const { measureRssScaling } = require('./rss-scaling');
const { summarize } = require('./summary');
const { runWan } = require('./wan');
const { runIncremental } = require('./incremental');

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
    compare: undefined,
    timeout: 900,
    wan: false,
    wanDelay: 25,
    wanScale: 0.0004,
    incremental: false,
    profile: false,
    vacuum: true,
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
    else if (a === '--compare') o.compare = path.resolve(next());
    else if (a === '--timeout') o.timeout = Number(next());
    else if (a === '--wan') o.wan = true;
    else if (a === '--wan-delay') o.wanDelay = Number(next());
    else if (a === '--wan-scale') o.wanScale = Number(next());
    else if (a === '--incremental') o.incremental = true;
    else if (a === '--profile') o.profile = true;
    else if (a === '--no-vacuum') o.vacuum = false;
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(__filename, 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (see --help)`);
  });
  if (!(o.rounds >= 1)) throw new Error('--rounds must be at least 1');
  for (const d of o.datasets) if (!['orders', 'all'].includes(d)) throw new Error(`unknown dataset ${d} (orders, all)`);
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.wan && o.incremental) throw new Error('--wan and --incremental are two scenarios: run one at a time');
  if (o.wan) return runWan(o);
  if (o.incremental) return runIncremental(o);
  const commandLine = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const ctx = await createContext(o);
  const { tmpDir, pgUrl, admin, facts, data, file, selectedDatasets, created } = ctx;
  const prepared = await prepareTargets(ctx);
  const { ops, na, comparisons } = planOperations(ctx, prepared);
  const results = await runRounds(ctx, ops, na);
  const rssScaling = o.rssScaling ? await measureRssScaling(ctx) : undefined;
  const { summary, ratios } = summarize(ctx, ops, results, comparisons);
  const { support, readyCsv } = prepared;

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
