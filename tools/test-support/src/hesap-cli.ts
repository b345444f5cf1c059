import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './peer-data';

/** The built `hesap` binary (`npm run build` first). */
export function hesapBin(): string {
  return path.join(repoRoot(), 'apps', 'cli', 'bin', 'run.js');
}

export interface CliRun {
  code: number | null;
  /** The signal that ended the process, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the process in kB (VmHWM), when measured. */
  maxRssKb?: number;
  durationMs: number;
}

export interface CliOptions {
  cwd?: string;
  /** Added to the environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Killed with SIGKILL after this long (default 120 s). */
  timeoutMs?: number;
  /** Poll /proc/<pid>/status for the peak resident memory. */
  measureMemory?: boolean;
}

/** A running `hesap` process and its outcome. */
export interface CliProcess {
  child: ChildProcess;
  pid: number;
  done: Promise<CliRun>;
}

/** The peak resident set size (VmHWM) of a live process in kB, or undefined once it is gone. */
export function peakRssKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the built CLI as users run it: `node apps/cli/bin/run.js ...`, with no colour and
 * without the remote-URL variables of the test environment (unless `env` sets them).
 */
export function spawnHesap(args: string[], options: CliOptions = {}): CliProcess {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const key of ['DATABASE_URL', 'RENDER_DATABASE_URL', 'HESAP_REMOTE_URL', 'HESAP_LOCAL_DB']) delete env[key];
  Object.assign(env, options.env);
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const started = Date.now();
  const child = spawn(process.execPath, [hesapBin(), ...args], { cwd: options.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let maxRssKb: number | undefined;
  const poll = options.measureMemory
    ? setInterval(() => {
        const kb = peakRssKb(child.pid!);
        if (kb !== undefined) maxRssKb = Math.max(maxRssKb ?? 0, kb);
      }, 25)
    : undefined;
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ code, signal, stdout, stderr, maxRssKb, durationMs: Date.now() - started });
    });
  });
  return { child, pid: child.pid!, done };
}

/** Runs the built CLI to the end (asynchronously: a proxy in this process keeps relaying). */
export function runHesap(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return spawnHesap(args, options).done;
}

/** The one JSON document a `--json` run prints on stdout. */
export function jsonOf(run: CliRun): Record<string, any> {
  try {
    return JSON.parse(run.stdout) as Record<string, any>;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}
