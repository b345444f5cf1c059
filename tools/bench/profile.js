#!/usr/bin/env node
'use strict';
/**
 * Profiles hesap once: `node --cpu-prof apps/cli/bin/run.js db push --tables orders`
 * (and `db pull`) on the benchmark database, and writes what dominates CPU into
 * docs/benchmarks/profile.md: self time by function and by area, inclusive time of
 * hesap's own functions, the client's wall and CPU time, and the PostgreSQL backend's
 * CPU time over the same run. The hand-written findings between the
 * `<!-- findings:start -->` and `<!-- findings:end -->` markers are kept.
 *
 *   node tools/bench/profile.js [--local /tmp/hesap-bench/bench-s1.db] [--ops push,pull] [--out docs/benchmarks/profile.md]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { eachArg, ROOT, CLI, DEFAULT_PG_URL, databaseUrl, measure, PgAdmin, median } = require('./lib');

function parseArgs(argv) {
  const o = { local: path.join(os.tmpdir(), 'hesap-bench/bench-s1.db'), ops: ['push', 'pull'], out: path.join(ROOT, 'docs/benchmarks/profile.md'), top: 25 };
  eachArg(argv, (a, next) => {
    if (a === '--local') o.local = path.resolve(next());
    else if (a === '--ops') o.ops = next().split(',');
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--top') o.top = Number(next());
    else throw new Error(`unknown argument ${a}`);
  });
  if (!fs.existsSync(o.local)) throw new Error(`${o.local} is missing: run \`npm run bench\` (or tools/bench/generate.js --out ${o.local}) first`);
  return o;
}

/** Where a frame's code lives, as a short name. */
function area(frame) {
  const { functionName: fn, url } = frame;
  if (!url) {
    if (fn.startsWith('(')) return fn;
    return 'native / V8 builtins';
  }
  if (url.startsWith('node:')) return 'Node internals (streams, buffers, net)';
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (m) return `node_modules/${m[1]}`;
  const h = /\/(packages\/[^/]+|apps\/[^/]+|tools\/[^/]+)\//.exec(url);
  if (h) return h[1];
  return url;
}

const where = (frame) => {
  if (!frame.url) return '';
  const short = frame.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '').replace(/^.*\/node_modules\//, 'node_modules/');
  return `${short}:${frame.lineNumber + 1}`;
};

/** Self and inclusive milliseconds per function of a .cpuprofile. */
function analyse(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map();
  const byArea = new Map();
  const inclusive = new Map();
  for (const [id, ms] of self) {
    const node = nodes.get(id);
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'}\u0000${where(f)}`;
    const e = byFunction.get(key) ?? { name: f.functionName || '(anonymous)', where: where(f), area: area(f), ms: 0 };
    e.ms += ms;
    byFunction.set(key, e);
    byArea.set(area(f), (byArea.get(area(f)) ?? 0) + ms);
    // inclusive: every distinct function on the stack gets the sample once
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const c = nodes.get(n).callFrame;
      if (!/\/(packages|apps)\//.test(c.url)) continue;
      const k = `${c.functionName || '(anonymous)'}\u0000${where(c)}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const x = inclusive.get(k) ?? { name: c.functionName || '(anonymous)', where: where(c), ms: 0 };
      x.ms += ms;
      inclusive.set(k, x);
    }
  }
  const sort = (m) => [...m.values()].sort((a, b) => b.ms - a.ms);
  return {
    totalMs: total,
    functions: sort(byFunction),
    areas: [...byArea.entries()].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms),
    inclusive: sort(inclusive),
  };
}

/**
 * Watches the PostgreSQL backends serving an application name while the client runs:
 * their CPU seconds (from /proc, polled every 250 ms, so the last 250 ms may be missed)
 * and which statement was active at each poll (a sampling profile of the server side).
 */
function backendWatcher(admin, appName) {
  const ticks = new Map();
  const statements = new Map();
  const hz = 100;
  const every = 250;
  let stop = false;
  const poll = async () => {
    while (!stop) {
      try {
        const r = await admin.query(`SELECT pid, state, query FROM pg_stat_activity WHERE application_name = '${appName}'`);
        for (const { pid, state, query } of r.rows) {
          if (state === 'active') {
            const key = String(query).replace(/\s+/g, ' ').slice(0, 90);
            statements.set(key, (statements.get(key) ?? 0) + 1);
          }
          try {
            const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
            const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
            ticks.set(pid, Number(fields[11]) + Number(fields[12]));
          } catch {
            // not on this machine, or gone
          }
        }
      } catch {
        // keep polling
      }
      await new Promise((r) => setTimeout(r, every));
    }
  };
  const done = poll();
  return async () => {
    stop = true;
    await done;
    return {
      cpuSeconds: ticks.size ? [...ticks.values()].reduce((a, b) => a + b, 0) / hz : undefined,
      statements: [...statements.entries()].map(([query, n]) => ({ query, seconds: (n * every) / 1000 })).sort((a, b) => b.seconds - a.seconds),
    };
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const pgUrl = process.env.HESAP_BENCH_PG_URL || DEFAULT_PG_URL;
  const admin = new PgAdmin(pgUrl);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hesap-profile-'));
  const rawDir = path.join(path.dirname(o.out), 'raw');
  fs.mkdirSync(rawDir, { recursive: true });
  const dbName = 'hesap_bench_profile';
  const sections = [];
  const Database = require('better-sqlite3');
  const src = new Database(o.local, { readonly: true });
  const rows = src.prepare('SELECT count(*) FROM orders').pluck().get();
  src.close();
  try {
    await admin.create(dbName);
    for (const op of o.ops) {
      const pulled = path.join(work, 'pulled.db');
      const appName = `hesap-bench-profile-${process.pid}`;
      const remote = new URL(databaseUrl(pgUrl, dbName));
      remote.searchParams.set('application_name', appName);
      const args =
        op === 'push'
          ? ['db', 'push', '--mode', 'create', '--tables', 'orders', '--json', '--local', o.local, '--remote', remote.toString()]
          : ['db', 'pull', '--tables', 'orders', '--yes', '--json', '--local', pulled, '--remote', remote.toString()];
      if (op === 'push') await admin.query('DROP TABLE IF EXISTS orders CASCADE', dbName);
      const profDir = path.join(work, `prof-${op}`);
      await admin.checkpoint();
      const stopWatch = backendWatcher(admin, appName);
      process.stderr.write(`[profile] hesap ${args.slice(0, 2).join(' ')} (${rows} orders)…\n`);
      const r = await measure({
        cmd: process.execPath,
        args: ['--cpu-prof', '--cpu-prof-dir', profDir, CLI, ...args],
        node: true,
        cwd: work,
        tmpDir: work,
      });
      const server = await stopWatch();
      const serverCpu = server.cpuSeconds;
      if (r.code !== 0) throw new Error(`hesap ${op} failed: ${r.stdout.slice(0, 500)} ${r.stderr.slice(-500)}`);
      const doc = JSON.parse(r.stdout);
      // One profile per thread (CPU.<date>.<pid>.<thread>.<seq>.cpuprofile): the main thread's first.
      const files = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).sort((x, y) => threadOf(x) - threadOf(y));
      const [file, ...others] = files;
      const profile = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8'));
      fs.copyFileSync(path.join(profDir, file), path.join(rawDir, `profile-${op}.cpuprofile`));
      const a = analyse(profile);
      a.threads = others.map((f, i) => {
        fs.copyFileSync(path.join(profDir, f), path.join(rawDir, `profile-${op}-thread-${i + 1}.cpuprofile`));
        return analyse(JSON.parse(fs.readFileSync(path.join(profDir, f), 'utf8')));
      });
      const table = doc.tables.find((t) => t.table === 'orders');
      sections.push({ op, args, wall: r.seconds, cpu: r.cpuSeconds, rss: r.rssBytes, serverCpu, statements: server.statements, durationMs: doc.durationMs, table, analysis: a });
      process.stderr.write(`[profile] ${op}: ${r.seconds.toFixed(1)} s wall, ${r.cpuSeconds?.toFixed(1)} s CPU, server ${serverCpu?.toFixed(1)} s CPU\n`);
    }
  } finally {
    await admin.drop(dbName).catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }
  write(o, sections, rows);
}

/** The thread number in a --cpu-prof file name (0: the main thread). */
const threadOf = (name) => Number(name.split('.')[4] ?? 0);

function write(o, sections, rows) {
  const pct = (ms, total) => `${((100 * ms) / total).toFixed(1)}%`;
  const s = (ms) => (ms / 1000).toFixed(2);
  let findings = '<!-- findings:start -->\n_(analysis to be written)_\n<!-- findings:end -->';
  if (fs.existsSync(o.out)) {
    const old = fs.readFileSync(o.out, 'utf8');
    const m = /<!-- findings:start -->[\s\S]*?<!-- findings:end -->/.exec(old);
    if (m) findings = m[0];
  }
  const lines = ['# Where hesap spends its time', ''];
  lines.push(
    `Measured by \`node tools/bench/profile.js\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (${os.cpus().length} cores, Node ${process.version}): ` +
      `\`node --cpu-prof apps/cli/bin/run.js …\` on the benchmark database's orders table (${rows.toLocaleString('en')} rows, ~10% with a receipt BLOB), ` +
      'PostgreSQL on the same machine. The raw profiles are in docs/benchmarks/raw/ (not committed); open them in Chrome DevTools or speedscope.',
    '',
  );
  lines.push(findings, '');
  for (const x of sections) {
    const a = x.analysis;
    lines.push(`## \`hesap ${x.args.slice(0, 2).join(' ')} ${x.args.slice(2).filter((v) => !v.includes('/') && !v.includes('://')).join(' ')}\``, '');
    lines.push('| | |', '| --- | --- |');
    lines.push(`| wall time of the process | ${x.wall.toFixed(2)} s |`);
    lines.push(`| of which hesap's own \`durationMs\` (after start-up) | ${(x.durationMs / 1000).toFixed(2)} s; the orders table's rows: ${(x.table.durationMs / 1000).toFixed(2)} s |`);
    lines.push(`| CSV moved | ${(x.table.bytes / 1e6).toFixed(0)} MB, ${x.table.received.toLocaleString('en')} rows |`);
    lines.push(`| client CPU (user + system) | ${x.cpu?.toFixed(2) ?? '?'} s |`);
    lines.push(`| PostgreSQL backend CPU (its connections, from /proc) | ${x.serverCpu === undefined ? 'not measured' : `${x.serverCpu.toFixed(2)} s`} |`);
    lines.push(`| client peak RSS | ${x.rss ? `${(x.rss / 2 ** 20).toFixed(0)} MiB` : '?'} |`);
    lines.push(`| profiled time (all samples) | ${s(a.totalMs)} s |`);
    lines.push('');
    lines.push('### Self time by area', '', '| area | self s | share |', '| --- | ---: | ---: |');
    for (const e of a.areas.slice(0, 14)) lines.push(`| ${e.name} | ${s(e.ms)} | ${pct(e.ms, a.totalMs)} |`);
    lines.push('');
    lines.push(`### Top ${o.top} functions by self time`, '', '| function | where | self s | share |', '| --- | --- | ---: | ---: |');
    for (const e of a.functions.slice(0, o.top)) lines.push(`| \`${e.name.replace(/\|/g, '\\|')}\` | ${e.where} | ${s(e.ms)} | ${pct(e.ms, a.totalMs)} |`);
    lines.push('');
    for (const [i, t] of (a.threads ?? []).entries()) {
      // Worker threads (the pull's insert thread, the profile helpers, the checksum thread): their own samples.
      lines.push(`### Thread ${i + 1}: top functions by self time (${s(t.totalMs)} s profiled)`, '', '| function | where | self s | share |', '| --- | --- | ---: | ---: |');
      for (const e of t.functions.slice(0, 10)) lines.push(`| \`${e.name.replace(/\|/g, '\\|')}\` | ${e.where} | ${s(e.ms)} | ${pct(e.ms, t.totalMs)} |`);
      lines.push('');
    }
    if (x.statements?.length) {
      lines.push('### PostgreSQL: active statement, sampled every 250 ms', '', '| statement (start) | about s |', '| --- | ---: |');
      for (const q of x.statements.slice(0, 10)) lines.push(`| \`${q.query.replace(/\|/g, '\\|')}\` | ${q.seconds.toFixed(2)} |`);
      lines.push('');
    }
    lines.push("### hesap's own functions by inclusive time", '', '| function | where | inclusive s | share |', '| --- | --- | ---: | ---: |');
    for (const e of a.inclusive.slice(0, 15)) lines.push(`| \`${e.name.replace(/\|/g, '\\|')}\` | ${e.where} | ${s(e.ms)} | ${pct(e.ms, a.totalMs)} |`);
    lines.push('');
  }
  fs.writeFileSync(o.out, lines.join('\n'));
  process.stderr.write(`[profile] wrote ${o.out}\n`);
}

module.exports = { analyse, backendWatcher, median };

if (require.main === module) {
  main().catch((error) => {
    console.error(`profile: ${error.stack ?? error.message}`);
    process.exit(1);
  });
}
