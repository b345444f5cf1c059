'use strict';
/** Small helpers shared by the runner and the profiler: processes, PostgreSQL admin, machine facts. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'apps/cli/bin/run.js');
const RSS_HOOK = path.join(__dirname, 'rss-hook.js');
const DEFAULT_PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/** Quotes a string for bash. */
const sh = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
/** Quotes an SQL identifier. */
const ident = (s) => `"${String(s).replace(/"/g, '""')}"`;

/** Calls `on(flag, value)` for each argument; `value()` takes the argument after the flag. */
function eachArg(argv, on) {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    on(flag, () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    });
  }
}

/** The full path of a program, or undefined. */
function which(name) {
  const r = spawnSync('bash', ['-c', `command -v ${sh(name)}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The URL with its password hidden. */
function redact(url) {
  return String(url).replace(/(\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}

/** The same server, another database. */
function databaseUrl(baseUrl, name) {
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Process groups of the measured processes still running (ended when the runner is stopped). */
const live = new Set();
function stopAll() {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/**
 * Runs a process and measures it: wall seconds from spawn to exit, its peak RSS and CPU
 * seconds. Node processes get the RSS hook (`node: true`); others run under
 * `/usr/bin/time` when it is there (peak RSS of the largest process of a pipeline).
 */
function measure({ cmd, args, node = false, cwd, env, timeFile, tmpDir, timeoutSeconds }) {
  return new Promise((resolve) => {
    const id = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const rssFile = path.join(tmpDir ?? os.tmpdir(), `rss-${id}.json`);
    const timeOut = path.join(tmpDir ?? os.tmpdir(), `time-${id}.txt`);
    let file = cmd;
    let argv = args;
    const childEnv = { ...process.env, ...env };
    if (node) {
      childEnv.NODE_OPTIONS = `${childEnv.NODE_OPTIONS ?? ''} --require ${RSS_HOOK}`.trim();
      childEnv.HESAP_BENCH_RSS_FILE = rssFile;
    } else if (timeFile) {
      file = timeFile;
      argv = ['-f', '%M %U %S', '-o', timeOut, cmd, ...args];
    }
    const started = process.hrtime.bigint();
    // Its own process group, so that a timeout ends the whole pipeline it started.
    const child = spawn(file, argv, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(child.pid);
    let timedOut = false;
    let timer;
    if (timeoutSeconds) {
      timer = setTimeout(() => {
        timedOut = true;
        const signal = (sig) => {
          try {
            process.kill(-child.pid, sig);
          } catch {
            // already gone
          }
        };
        signal('SIGTERM');
        setTimeout(() => signal('SIGKILL'), 15000).unref();
      }, timeoutSeconds * 1000);
    }
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => {
      err += d.toString();
      if (err.length > 20000) err = err.slice(-10000);
    });
    child.on('error', (error) => {
      err += String(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child.pid);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      let rssBytes;
      let cpuSeconds;
      try {
        if (node) {
          const r = JSON.parse(fs.readFileSync(rssFile, 'utf8'));
          rssBytes = r.maxRssBytes;
          cpuSeconds = r.userSeconds + r.systemSeconds;
        } else if (timeFile) {
          const last = fs.readFileSync(timeOut, 'utf8').trim().split('\n').pop().trim().split(/\s+/);
          rssBytes = Number(last[0]) * 1024;
          cpuSeconds = Number(last[1]) + Number(last[2]);
        }
      } catch {
        // no measurement (the process died before writing it)
      }
      fs.rmSync(rssFile, { force: true });
      fs.rmSync(timeOut, { force: true });
      resolve({ code: code ?? (signal ? 128 : 1), timedOut, seconds, stdout: Buffer.concat(out).toString('utf8'), stderr: err, rssBytes, cpuSeconds });
    });
  });
}

/** Runs a command to completion (not measured); throws on failure. */
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout || String(r.error)).slice(-2000)}`);
  return r.stdout;
}

/** One admin connection to the server, for creating and dropping the benchmark's databases. */
class PgAdmin {
  constructor(url) {
    this.url = url;
  }

  async query(sql, database) {
    const { Client } = require('pg');
    const client = new Client({ connectionString: database ? databaseUrl(this.url, database) : this.url });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  }

  async drop(name) {
    await this.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
  }

  async create(name, template) {
    await this.drop(name);
    await this.query(`CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ''}`);
  }

  async checkpoint() {
    await this.query('CHECKPOINT');
  }

  async count(database, table) {
    const r = await this.query(`SELECT count(*)::bigint AS n FROM ${ident(table)}`, database);
    return Number(r.rows[0].n);
  }
}

/** What the numbers were measured on. */
async function machineFacts(admin, tools) {
  const cpu = os.cpus();
  const facts = {
    cpu: cpu[0]?.model?.replace(/\s+/g, ' ').trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
  try {
    const r = await admin.query(
      "SELECT current_setting('server_version') AS v, current_setting('shared_buffers') AS sb, current_setting('max_wal_size') AS wal, " +
        "current_setting('synchronous_commit') AS sc, current_setting('wal_level') AS wl, current_setting('maintenance_work_mem') AS mwm",
    );
    const s = r.rows[0];
    facts.postgres = `PostgreSQL ${s.v}`;
    facts.postgresSettings = `shared_buffers=${s.sb}, max_wal_size=${s.wal}, maintenance_work_mem=${s.mwm}, synchronous_commit=${s.sc}, wal_level=${s.wl}`;
  } catch (error) {
    facts.postgres = `unreachable: ${error.message}`;
  }
  try {
    const Database = require('better-sqlite3');
    const db = new Database(':memory:');
    facts.sqliteInHesap = `SQLite ${db.prepare('SELECT sqlite_version()').pluck().get()} (better-sqlite3 ${require('better-sqlite3/package.json').version})`;
    db.close();
  } catch {
    facts.sqliteInHesap = 'unknown';
  }
  if (tools.sqlite3) facts.sqlite3Cli = `sqlite3 ${run(tools.sqlite3, ['--version']).split(' ')[0]}`;
  if (tools.psql) facts.psql = run(tools.psql, ['--version']).trim();
  if (tools.pgloader) facts.pgloader = run(tools.pgloader, ['--version']).split('\n')[0].trim();
  try {
    const head = run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).trim();
    const dirty = run('git', ['status', '--porcelain', '--untracked-files=no', '--', 'packages', 'apps'], { cwd: ROOT }).trim() !== '';
    facts.hesapCommit = head + (dirty ? ' (with uncommitted changes in packages/ or apps/)' : '');
  } catch {
    facts.hesapCommit = 'unknown';
  }
  return facts;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

module.exports = { eachArg, stopAll, ROOT, CLI, RSS_HOOK, DEFAULT_PG_URL, sh, ident, which, redact, databaseUrl, measure, run, PgAdmin, machineFacts, median };
