'use strict';
/**
 * `npm run bench -- --incremental`: what an incremental push saves (issue 23). The benchmark's
 * orders (the data file the main benchmark makes, `--tables orders`: 1,000,000 rows at scale
 * 1) go through a loopback proxy (wan-proxy.js at 0 ms) that counts the bytes sent to the
 * server. Each round, once with hesap's default (incremental) and once with
 * `--no-incremental` (every row sent and matched, as before incremental push), each on its
 * own copy of the file, its own state folder (HESAP_STATE_DIR) and a new database:
 *
 *   fixed    push of a 20-row file of the same schema into an empty database (start-up,
 *            connecting, schema work: what the targets do not count)
 *   first    push of the orders, merge into an empty database
 *   again    the same push, nothing changed
 *   changed  the same push after 100 rows changed (50 updated, 50 inserted) by better-sqlite3
 *
 * The report gives every round and the medians: seconds, (time − fixed) / (first − fixed),
 * bytes to the server and their share of the first push's, and each target of issue 23.
 * With `--profile` (or when a target is missed) two more pushes (nothing changed, 100 changed)
 * run under `node --cpu-prof`, and the report says where their time goes. `--no-vacuum`
 * leaves out the untimed VACUUM ANALYZE after the first push. Writes
 * docs/benchmarks/incremental.md; the hand-written reading between its findings markers is kept.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const Database = require('better-sqlite3');
const { ROOT, CLI, DEFAULT_PG_URL, ident, redact, databaseUrl, measure, PgAdmin, machineFacts, median } = require('./lib');
const { dataFile, hesapResult } = require('./context');
const { createSchemaFile } = require('./generate');
const { startWanProxy } = require('./wan-proxy');
const { analyse, backendWatcher } = require('./profile');

const log = (m) => process.stderr.write(`[bench incremental ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** Issue 23's targets: share of the first push's time (above the fixed cost) and of its bytes. */
const TARGETS = {
  again: { time: 0.1, bytes: 0.01, title: 'nothing changed' },
  changed: { time: 0.15, bytes: 0.02, title: '100 rows changed (50 updated, 50 inserted)' },
};
const VARIANTS = [
  { id: 'incremental', title: 'incremental (default)', flags: [] },
  { id: 'full', title: '`--no-incremental` (today)', flags: ['--no-incremental'] },
];
const STEPS = ['fixed', 'first', 'again', 'changed'];
const CHANGED = { updated: 50, inserted: 50 };
/** What the changed rows' restaurant becomes: the check finds them in the target by it. */
const MARKER = 'Incremental bench, changed row ✓';
const SMALL_ROWS = 20;

const mb = (b) => (b / 1e6).toFixed(b < 1e6 ? 3 : 1);
const pct = (x) => `${(100 * x).toFixed(Math.abs(x) < 0.01 ? 2 : 1)}%`;

async function runIncremental(o) {
  if (!fs.existsSync(path.join(ROOT, 'apps/cli/dist/commands/index.js'))) throw new Error('apps/cli is not built: run `npm run build` first');
  fs.mkdirSync(o.workDir, { recursive: true });
  const commandLine = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const tmpDir = fs.mkdtempSync(path.join(o.workDir, 'incremental-'));
  const pgUrl = process.env.HESAP_BENCH_PG_URL || DEFAULT_PG_URL;
  const admin = new PgAdmin(pgUrl);
  const facts = await machineFacts(admin, {});
  if (facts.postgres.startsWith('unreachable')) throw new Error(`PostgreSQL ${redact(pgUrl)} is ${facts.postgres}`);
  // The main benchmark's data file (generated once per scale and kept in the work directory).
  const data = await dataFile(o, `bench-s${o.scale}${o.orders ? `-o${o.orders}` : ''}`, { scale: o.scale, orders: o.orders });
  const orders = data.counts.orders;
  const small = path.join(tmpDir, 'small.db');
  await smallFile(data.file, small);
  const watch = spawnSync(process.execPath, [CLI, 'db', 'watch', '--help'], { encoding: 'utf8' }).status === 0;
  log(`${orders.toLocaleString('en')} orders (${data.file}); ${o.rounds} round(s); \`hesap db watch\` ${watch ? 'exists: its latency is measured after the rounds' : 'is not in this checkout'}`);

  const proxy = await startWanProxy(pgUrl, 0);
  // Named by this process: two runs at once (another worktree's) do not meet.
  const database = `hesap_bench_incremental_${process.pid}`;
  const fixedDatabase = `${database}_fixed`;
  /** rounds[r][variant][step] = { seconds, cpuSeconds, bytesUp, queries, received, used, reason } */
  const rounds = [];
  let profiles;
  try {
    for (let round = 0; round < o.rounds; round++) {
      const result = {};
      // Interleaved, each round in the other order, so machine noise falls on both alike.
      const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        result[variant.id] = await runVariant({ o, admin, pgUrl, proxy, tmpDir, data, small, variant, database, fixedDatabase, round });
        const r = result[variant.id];
        log(`round ${round + 1} ${variant.id}: ${STEPS.map((s) => `${s} ${r[s].seconds.toFixed(2)} s ${mb(r[s].bytesUp)} MB`).join(', ')}`);
      }
      rounds.push(result);
    }
    const summary = summarize(rounds);
    if (watch) {
      summary.watch = await watchLatency({ admin, pgUrl, tmpDir, small, database: `${database}_watch` });
      log(`watch: a local insert in PostgreSQL after ${summary.watch.map((x) => `${(x * 1000).toFixed(0)} ms`).join(', ')}`);
    }
    summary.floorSeconds = scanFloor(data.file);
    summary.floorRatio = summary.floorSeconds / median(rounds.map((r) => r.incremental.first.seconds - r.incremental.fixed.seconds));
    const missed = Object.keys(TARGETS).some((step) => !summary.incremental[step].met);
    if (o.profile || missed) {
      log(`${missed ? 'a target is missed: ' : ''}profiling a push with nothing changed and one with 100 changes (node --cpu-prof)`);
      profiles = await profilePushes({ o, admin, pgUrl, proxy, tmpDir, data, database });
    }
    fs.mkdirSync(path.join(o.outDir, 'raw'), { recursive: true });
    const raw = path.join(o.outDir, 'raw', `incremental-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(raw, JSON.stringify({ commandLine, facts, data, rounds, summary, profiles: profiles?.map((p) => ({ ...p, analysis: undefined })) }, null, 2));
    const out = path.join(o.outDir, 'incremental.md');
    fs.writeFileSync(out, report({ o, out, commandLine, pgUrl, facts, data, rounds, summary, profiles }));
    log(`wrote ${out}`);
  } finally {
    await proxy.close();
    for (const name of [database, fixedDatabase, `${database}_profile`, `${database}_watch`]) await admin.drop(name).catch(() => undefined);
    if (!o.keep) fs.rmSync(tmpDir, { recursive: true, force: true });
    else log(`kept ${tmpDir}`);
  }
}

const WATCH_SAMPLES = 7;

/**
 * `hesap db watch` with its default settings on the 20-row file, into a new database: once its
 * first push is in, a row is inserted into the file (another connection, as an app would) and
 * the time until PostgreSQL holds it is taken, polling every 10 ms on one connection; seven
 * times, a second apart. Seconds per insert.
 */
async function watchLatency({ admin, pgUrl, tmpDir, small, database }) {
  const { Client } = require('pg');
  const file = path.join(tmpDir, 'watch.db');
  fs.copyFileSync(small, file);
  await admin.create(database);
  const url = databaseUrl(pgUrl, database);
  const stateDir = fs.mkdtempSync(path.join(tmpDir, 'watch-state-'));
  const child = spawn(process.execPath, [CLI, 'db', 'watch', '--json', '--local', file, '--remote', url], {
    cwd: tmpDir,
    env: { ...process.env, HESAP_STATE_DIR: stateDir },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const pg = new Client({ connectionString: url });
  const app = new Database(file);
  const until = async (sql, what) => {
    for (const started = Date.now(); Date.now() - started < 60_000; ) {
      const r = await pg.query(sql).catch(() => ({ rows: [] }));
      if (r.rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`watch: ${what} did not reach PostgreSQL within 60 s`);
  };
  try {
    await pg.connect();
    await until(`SELECT 1 FROM pg_tables WHERE tablename = 'orders' AND (SELECT count(*) FROM orders) = ${SMALL_ROWS}`, 'the first push');
    const columns = app.prepare("SELECT name FROM pragma_table_info('orders') WHERE pk = 0").pluck().all();
    const values = columns.map((c) => (c === 'restaurant' ? '?' : ident(c)));
    const insert = app.prepare(`INSERT INTO orders (${columns.map(ident).join(', ')}) SELECT ${values.join(', ')} FROM orders ORDER BY id LIMIT 1`);
    const seconds = [];
    for (let i = 0; i < WATCH_SAMPLES; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const marker = `watch latency ${i}`;
      const started = process.hrtime.bigint();
      insert.run(marker);
      await until(`SELECT 1 FROM orders WHERE restaurant = '${marker}'`, `insert ${i}`);
      seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
    return seconds;
  } finally {
    app.close();
    await pg.end().catch(() => undefined);
    child.kill('SIGINT');
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  }
}

/**
 * The fixed cost's file: the app's schema (TypeORM synchronize) holding the first 20 orders of
 * the data file, with the groups and users they point at.
 */
async function smallFile(from, file) {
  await createSchemaFile(file);
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = OFF');
    db.prepare('ATTACH DATABASE ? AS big').run(from);
    db.transaction(() => {
      db.exec(`INSERT INTO main.orders SELECT * FROM big.orders ORDER BY id LIMIT ${SMALL_ROWS}`);
      db.exec('INSERT INTO main.groups SELECT * FROM big.groups WHERE id IN (SELECT group_id FROM main.orders)');
      db.exec('INSERT INTO main.users SELECT * FROM big.users WHERE id IN (SELECT creator_id FROM main.orders UNION SELECT created_by FROM main.groups)');
    })();
    db.exec('DETACH DATABASE big');
  } finally {
    db.close();
  }
}

/** One timed push through the proxy, its state in `stateDir`; checks the result. */
async function push({ o, admin, proxy, cwd, stateDir, file, url, flags, cpuProfDir }) {
  await admin.checkpoint();
  proxy.take();
  const args = ['db', 'push', '--yes', '--json', '--local', file, '--remote', proxy.url(url), '--tables', 'orders', ...flags];
  const r = await measure({
    cmd: process.execPath,
    args: [...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : []), CLI, ...args],
    node: true,
    cwd,
    tmpDir: cwd,
    env: { HESAP_STATE_DIR: stateDir },
    timeoutSeconds: o.timeout,
  });
  const wire = proxy.take();
  const stateBytes = folderBytes(stateDir);
  const res = hesapResult(r);
  if (res.error) throw new Error(`hesap db push ${flags.join(' ')} failed: ${res.error}`);
  const doc = res.doc;
  return {
    seconds: r.seconds,
    cpuSeconds: r.cpuSeconds,
    bytesUp: wire.bytesUp,
    bytesDown: wire.bytesDown,
    queries: wire.queries,
    stateBytes,
    received: (doc.tables ?? []).reduce((n, t) => n + (t.received ?? 0), 0),
    durationMs: doc.durationMs,
    used: Boolean(doc.incremental?.used),
    reason: doc.incremental?.reason,
    changes: doc.incremental?.tables ?? [],
    doc,
  };
}

/** The four pushes of one variant in one round, each checked. */
async function runVariant({ o, admin, pgUrl, proxy, tmpDir, data, small, variant, database, fixedDatabase, round }) {
  const dir = path.join(tmpDir, `round${round + 1}-${variant.id}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, 'app.db');
  fs.copyFileSync(data.file, file);
  const orders = data.counts.orders;
  const common = { o, admin, proxy, cwd: dir, file, flags: variant.flags, url: databaseUrl(pgUrl, database) };
  const out = {};
  try {
    await admin.create(fixedDatabase);
    out.fixed = await push({ ...common, stateDir: path.join(dir, 'state-fixed'), file: small, url: databaseUrl(pgUrl, fixedDatabase) });
    await expectOrders(admin, fixedDatabase, SMALL_ROWS, 0, 'the 20-row push');
    await admin.drop(fixedDatabase);

    const stateDir = path.join(dir, 'state');
    await admin.create(database);
    out.first = await push({ ...common, stateDir });
    expect(!out.first.used, `the first push says it was incremental (${variant.id})`);
    await expectOrders(admin, database, orders, 0, 'the first push');
    // As autovacuum leaves a table a while after a load (the main benchmark does the same for its merge targets).
    if (o.vacuum) await admin.query('VACUUM ANALYZE orders', database);

    out.again = await push({ ...common, stateDir });
    await expectOrders(admin, database, orders, 0, 'the push with nothing changed');

    changeRows(file);
    out.changed = await push({ ...common, stateDir });
    // A plain merge without incremental push matches the rows pushed before and leaves them as
    // the target has them (`--update` would write them): the 50 edits travel only incrementally.
    const travelled = variant.id === 'incremental' ? CHANGED.updated : 0;
    await expectOrders(admin, database, orders + CHANGED.inserted, travelled + CHANGED.inserted, 'the push after 100 changes');

    if (variant.id === 'incremental') {
      for (const step of ['again', 'changed']) expect(out[step].used, `the ${step} push was not incremental: ${out[step].reason ?? 'no reason given'}`);
      const t = out.changed.changes.find((c) => c.table === 'orders');
      expect(t && t.inserted === CHANGED.inserted && t.updated === CHANGED.updated, `the changed push found ${JSON.stringify(t)} in orders, not 50 inserted and 50 updated`);
      expect(out.again.received === 0, `the push with nothing changed sent ${out.again.received} rows`);
    } else {
      for (const step of ['again', 'changed']) expect(!out[step].used, `the ${step} push with --no-incremental says it was incremental`);
    }
    for (const step of STEPS) delete out[step].doc;
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Bytes of the files under a folder (0 when it does not exist). */
function folderBytes(dir) {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).reduce((n, e) => n + (e.isFile() ? fs.statSync(path.join(e.parentPath ?? e.path, e.name)).size : 0), 0);
}

/**
 * The floor of any push that reads every row: one scan of the orders in SQLite reading every
 * column (max() of each, so each value is loaded), in this process with the page cache warm
 * as the pushes have it; the median of 3 after one unmeasured scan.
 */
function scanFloor(file) {
  const db = new Database(file, { readonly: true });
  try {
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('orders');
    const scan = db.prepare(`SELECT ${columns.map((c) => `max(${ident(c)})`).join(', ')} FROM orders`);
    scan.get();
    const times = [];
    for (let i = 0; i < 3; i++) {
      const t = process.hrtime.bigint();
      scan.get();
      times.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    return median(times);
  } finally {
    db.close();
  }
}

function expect(ok, message) {
  if (!ok) throw new Error(message);
}

/** The target holds `n` orders, `marked` of them carrying the changed rows' restaurant. */
async function expectOrders(admin, database, n, marked, what) {
  const r = await admin.query(`SELECT count(*)::bigint AS n, count(*) FILTER (WHERE restaurant = '${MARKER.replace(/'/g, "''")}')::bigint AS m FROM orders`, database);
  const got = { n: Number(r.rows[0].n), m: Number(r.rows[0].m) };
  expect(got.n === n && got.m === marked, `after ${what} ${database} holds ${got.n} orders (${got.m} changed ones), expected ${n} (${marked})`);
}

/**
 * The app's edit: 50 orders spread over the table get a new restaurant and total, and 50 new
 * orders (copies of existing ones, new ids) are inserted; one transaction, as an app would.
 */
function changeRows(file) {
  const db = new Database(file);
  try {
    const n = db.prepare('SELECT count(*) FROM orders').pluck().get();
    const max = db.prepare('SELECT max(id) FROM orders').pluck().get();
    const step = Math.max(1, Math.floor(n / CHANGED.updated));
    const update = db.prepare('UPDATE orders SET restaurant = ?, total = total + 1 WHERE id = (SELECT id FROM orders ORDER BY id LIMIT 1 OFFSET ?)');
    const insert = db.prepare(
      'INSERT INTO orders (id, restaurant, total, tax, delivery, receipt, created_at, group_id, creator_id) ' +
        'SELECT ?, ?, total, tax, delivery, receipt, created_at, group_id, creator_id FROM orders WHERE id = (SELECT id FROM orders ORDER BY id LIMIT 1 OFFSET ?)',
    );
    db.transaction(() => {
      for (let k = 0; k < CHANGED.updated; k++) expect(update.run(MARKER, (k * step + 7) % n).changes === 1, 'an update found no order');
      for (let k = 0; k < CHANGED.inserted; k++) expect(insert.run(max + 1 + k, MARKER, (k * step + 11) % n).changes === 1, 'an insert found no order to copy');
    })();
  } finally {
    db.close();
  }
}

/** Per variant and step: medians, and the ratios against the first push, per round and their medians. */
function summarize(rounds) {
  const summary = {};
  for (const v of VARIANTS) {
    const per = rounds.map((r) => r[v.id]);
    const s = {};
    for (const step of STEPS) {
      const xs = per.map((p) => p[step]);
      const timeRatios = per.map((p) => (p[step].seconds - p.fixed.seconds) / (p.first.seconds - p.fixed.seconds));
      const rawRatios = per.map((p) => p[step].seconds / p.first.seconds);
      const byteRatios = per.map((p) => p[step].bytesUp / p.first.bytesUp);
      s[step] = {
        seconds: median(xs.map((x) => x.seconds)),
        range: [Math.min(...xs.map((x) => x.seconds)), Math.max(...xs.map((x) => x.seconds))],
        cpuSeconds: median(xs.map((x) => x.cpuSeconds ?? NaN)),
        bytesUp: median(xs.map((x) => x.bytesUp)),
        queries: median(xs.map((x) => x.queries)),
        stateBytes: median(xs.map((x) => x.stateBytes)),
        received: median(xs.map((x) => x.received)),
        timeRatio: median(timeRatios),
        timeRatios,
        rawRatio: median(rawRatios),
        byteRatio: median(byteRatios),
        byteRatios,
      };
      const target = TARGETS[step];
      if (target) {
        s[step].timeMet = s[step].timeRatio <= target.time;
        s[step].bytesMet = s[step].byteRatio <= target.bytes;
        s[step].met = s[step].timeMet && s[step].bytesMet;
      }
    }
    summary[v.id] = s;
  }
  // The incremental pushes against today's first push (its own fixed cost), round by round.
  for (const step of Object.keys(TARGETS)) {
    summary.incremental[step].vsToday = median(rounds.map((r) => (r.incremental[step].seconds - r.incremental.fixed.seconds) / (r.full.first.seconds - r.full.fixed.seconds)));
  }
  return summary;
}

/**
 * Two more pushes on a new copy after a first push (not part of the rounds), each under
 * `node --cpu-prof` with the server's CPU watched: nothing changed, then 100 rows changed.
 */
async function profilePushes({ o, admin, pgUrl, proxy, tmpDir, data, database }) {
  const dir = path.join(tmpDir, 'profile');
  fs.mkdirSync(dir);
  const file = path.join(dir, 'app.db');
  fs.copyFileSync(data.file, file);
  const name = `${database}_profile`;
  const appName = `hesap-bench-incremental-${process.pid}`;
  const remote = new URL(databaseUrl(pgUrl, name));
  remote.searchParams.set('application_name', appName);
  const common = { o, admin, proxy, cwd: dir, file, flags: [], url: remote.toString(), stateDir: path.join(dir, 'state') };
  const rawDir = path.join(o.outDir, 'raw');
  fs.mkdirSync(rawDir, { recursive: true });
  const profiled = async (step, expected) => {
    const profDir = path.join(dir, `prof-${step}`);
    const stopWatch = backendWatcher(admin, appName);
    const r = await push({ ...common, cpuProfDir: profDir });
    const server = await stopWatch();
    expect(r.used && r.received === expected, `the profiled ${step} push was not an incremental one sending ${expected} rows (${r.reason ?? `${r.received} rows`})`);
    const prof = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    const rawFile = `profile-incremental-${step}.cpuprofile`;
    fs.copyFileSync(path.join(profDir, prof), path.join(rawDir, rawFile));
    const analysis = analyse(JSON.parse(fs.readFileSync(path.join(profDir, prof), 'utf8')));
    return { step, rawFile, seconds: r.seconds, cpuSeconds: r.cpuSeconds, durationMs: r.durationMs, bytesUp: r.bytesUp, queries: r.queries, server, analysis };
  };
  try {
    await admin.create(name);
    await push(common);
    if (o.vacuum) await admin.query('VACUUM ANALYZE orders', name);
    const again = await profiled('again', 0);
    changeRows(file);
    const changed = await profiled('changed', CHANGED.updated + CHANGED.inserted);
    return [again, changed];
  } finally {
    await admin.drop(name).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report({ o, out, commandLine, pgUrl, facts, data, rounds, summary, profiles }) {
  let findings = '<!-- findings:start -->\n_(reading to be written)_\n<!-- findings:end -->';
  if (fs.existsSync(out)) {
    const m = /<!-- findings:start -->[\s\S]*?<!-- findings:end -->/.exec(fs.readFileSync(out, 'utf8'));
    if (m) findings = m[0];
  }
  const orders = data.counts.orders;
  const s = (x) => x.toFixed(2);
  const yes = (ok) => (ok ? 'met' : '**missed**');
  const lines = [
    '# Incremental push',
    '',
    `\`${commandLine}\` (tools/bench/incremental.js), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; medians of ${o.rounds} interleaved rounds.`,
    `The benchmark's orders table (${orders.toLocaleString('en')} rows, ~10% with a receipt BLOB; generate.js at scale ${o.scale}${o.orders ? `, --orders ${o.orders}` : ''},`,
    "the main benchmark's data file), pushed with `hesap db push --yes --json --tables orders` (merge, the default mode) through a",
    'loopback proxy (tools/bench/wan-proxy.js at 0 ms) that counts the bytes the client sends to the server. Each round runs both',
    'variants, in turn first: hesap as it is (incremental) and with `--no-incremental` (every row sent and matched, as before),',
    'each on its own copy of the data file, in a new database, with its own state folder (HESAP_STATE_DIR in a temporary folder):',
    '',
    `1. **fixed**: a ${SMALL_ROWS}-row file of the same schema pushed into an empty database (Node start, connecting, schema work);`,
    `2. **first**: the orders merged into an empty database${o.vacuum ? ' (then `VACUUM ANALYZE orders`, untimed, as autovacuum leaves a table a while after a load)' : ' (`--no-vacuum`: the next push follows at once, with autovacuum free to start during it)'};`,
    '3. **again**: the same push with nothing changed;',
    `4. **changed**: the same push after ${CHANGED.updated} orders spread over the table were updated and ${CHANGED.inserted} inserted by better-sqlite3 (one transaction).`,
    '',
    'Each push is a whole CLI process (spawn to exit), after an untimed CHECKPOINT. The runner checks every result: the row counts and',
    'the changed rows in the target, that the incremental pushes say they were incremental and found exactly the 100 changed rows.',
    'Time ratio = (time − fixed) / (first − fixed), the fixed cost of the same round and variant; bytes ratio = bytes sent to the server /',
    "the first push's. Timings on this machine are noisy (2 cores shared with other work): compare ratios within a run.",
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${facts.cpu}, ${facts.cores} cores (shared) |`,
    `| memory | ${facts.memoryGiB} GiB |`,
    `| load average (1/5/15 min) | ${facts.loadAverage} at the start, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end |`,
    `| OS | ${facts.os} |`,
    `| Node | ${facts.node} |`,
    `| PostgreSQL | ${facts.postgres} on the same machine (${redact(pgUrl)}); ${facts.postgresSettings} |`,
    `| SQLite | ${facts.sqliteInHesap} in hesap |`,
    `| hesap | commit ${facts.hesapCommit} |`,
    `| data file | ${path.basename(data.file)}, ${(data.bytes / 1e6).toFixed(0)} MB |`,
    '',
    '## Targets (issue 23), medians',
    '',
    '| push | time ratio | target | bytes ratio | target | | time ratio against the `--no-incremental` first push |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: |',
    ...Object.entries(TARGETS).map(([step, t]) => {
      const x = summary.incremental[step];
      return `| ${t.title} | ${pct(x.timeRatio)} | ≤ ${pct(t.time)} | ${pct(x.byteRatio)} | ≤ ${pct(t.bytes)} | time ${yes(x.timeMet)}, bytes ${yes(x.bytesMet)} | ${pct(x.vsToday)} |`;
    }),
    summary.watch
      ? `| a watch propagates a local insert | median ${median(summary.watch).toFixed(2)} s (${Math.min(...summary.watch).toFixed(2)}–${Math.max(...summary.watch).toFixed(2)} s, ${summary.watch.length} inserts) | ≤ 2 s | | | ${median(summary.watch) <= 2 ? 'met' : '**missed**'} | |`
      : `| a watch propagates a local insert | | ≤ 2 s | | | not measured: \`hesap db watch\` is not in this checkout | |`,
    '',
    "The incremental first push also writes the shadow (a copy of every row it sent, in the state folder); a `--no-incremental`",
    "push writes none. The last column measures the incremental pushes against the first push without that work.",
    '',
    `The floor of a push that reads every row: one scan of the orders in SQLite loading every column (\`SELECT max(…) …\` in the`,
    `runner, page cache warm, median of 3) takes ${summary.floorSeconds.toFixed(2)} s, ${pct(summary.floorRatio)} of the incremental first push's time above its fixed cost.`,
    '',
    '## Medians',
    '',
    '| variant | push | median s | min–max s | client CPU s | time ratio | time / first | MB to the server | bytes ratio | rows received | round trips | state folder MB after |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const v of VARIANTS) {
    for (const step of STEPS) {
      const x = summary[v.id][step];
      const ratio = step === 'fixed' ? '' : pct(x.timeRatio);
      lines.push(
        `| ${v.title} | ${step} | ${s(x.seconds)} | ${s(x.range[0])}–${s(x.range[1])} | ${Number.isNaN(x.cpuSeconds) ? '?' : s(x.cpuSeconds)} | ${ratio} | ${step === 'fixed' ? '' : `${s(x.rawRatio)}×`} | ${mb(x.bytesUp)} | ${step === 'fixed' ? '' : pct(x.byteRatio)} | ${x.received.toLocaleString('en')} | ${x.queries} | ${mb(x.stateBytes)} |`,
      );
    }
  }
  lines.push('', '## Every round', '', '| round | variant | fixed s | first s | again s | changed s | again: time ratio | changed: time ratio | first MB | again MB | changed MB |', '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  rounds.forEach((r, i) => {
    for (const v of VARIANTS) {
      const p = r[v.id];
      const ratio = (step) => pct((p[step].seconds - p.fixed.seconds) / (p.first.seconds - p.fixed.seconds));
      lines.push(`| ${i + 1} | ${v.title} | ${s(p.fixed.seconds)} | ${s(p.first.seconds)} | ${s(p.again.seconds)} | ${s(p.changed.seconds)} | ${ratio('again')} | ${ratio('changed')} | ${mb(p.first.bytesUp)} | ${mb(p.again.bytesUp)} | ${mb(p.changed.bytesUp)} |`);
    }
  });
  lines.push('');
  if (profiles) {
    const sec = (ms) => (ms / 1000).toFixed(2);
    lines.push(
      '## Where the time goes',
      '',
      'Two more pushes on a new copy after a first push (not part of the rounds), each under `node --cpu-prof` (which slows it a little),',
      "while the PostgreSQL backends serving it are watched (CPU from /proc and the active statement, every 250 ms). The raw profiles are in",
      'docs/benchmarks/raw/ (not committed).',
      '',
    );
    for (const p of profiles) {
      const a = p.analysis;
      lines.push(
        `### ${TARGETS[p.step].title}`,
        '',
        `${s(p.seconds)} s wall, ${p.cpuSeconds === undefined ? '?' : s(p.cpuSeconds)} s client CPU, hesap's own \`durationMs\` ${sec(p.durationMs)} s (after start-up), ${mb(p.bytesUp)} MB to the server in ${p.queries} round trips;`,
        `PostgreSQL backend CPU ${p.server.cpuSeconds === undefined ? 'not measured' : `${s(p.server.cpuSeconds)} s`}. Profile: ${p.rawFile}.`,
        '',
        '| area | self s |',
        '| --- | ---: |',
        ...a.areas.slice(0, 8).map((e) => `| ${e.name} | ${sec(e.ms)} |`),
        '',
        "| hesap's function (inclusive; modules' top-level code, their loading, left out) | where | s |",
        '| --- | --- | ---: |',
        ...a.inclusive
          .filter((e) => !(e.name === '(anonymous)' && e.where.endsWith(':1')))
          .slice(0, 20)
          .map((e) => `| \`${e.name.replace(/\|/g, '\\|')}\` | ${e.where} | ${sec(e.ms)} |`),
        '',
        '| function (self) | where | s |',
        '| --- | --- | ---: |',
        ...a.functions.slice(0, 12).map((e) => `| \`${e.name.replace(/\|/g, '\\|')}\` | ${e.where} | ${sec(e.ms)} |`),
        '',
      );
      if (p.server.statements?.length) {
        lines.push('| PostgreSQL: active statement (sampled every 250 ms) | about s |', '| --- | ---: |');
        for (const q of p.server.statements.slice(0, 8)) lines.push(`| \`${q.query.replace(/\|/g, '\\|')}\` | ${q.seconds.toFixed(2)} |`);
        lines.push('');
      }
    }
  }
  lines.push('## Reading', '', findings, '');
  return lines.join('\n');
}

module.exports = { runIncremental };
