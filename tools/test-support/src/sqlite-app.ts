import { spawn } from 'node:child_process';
import * as readline from 'node:readline';

/** One command to the app: SQL to run, rows to read, or death by SIGKILL (no close, no checkpoint). */
export interface AppCommand {
  exec?: string;
  all?: string;
  kill?: boolean;
}

export interface AppReply {
  ok: boolean;
  rows?: unknown[];
  error?: string;
}

/** A running app: its own process and SQLite connection, driven line by line. */
export interface SqliteApp {
  pid: number;
  /** Runs a command; resolves with the app's answer (a SIGKILL answers when the process is gone). */
  send(command: AppCommand): Promise<AppReply>;
  /** Runs SQL and fails the test if the app reports an error. */
  exec(sql: string): Promise<void>;
  all<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Closes the connection (SQLite checkpoints a WAL) and ends the process. */
  stop(): Promise<void>;
  /** Ends the process at once if it still runs (for cleanup after a failed test). */
  dispose(): void;
}

const SCRIPT = `
  const Database = require(process.argv[1]);
  const db = new Database(process.argv[2], { timeout: 60000 });
  const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
  require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
    const cmd = JSON.parse(line);
    if (cmd.kill) return process.kill(process.pid, 'SIGKILL');
    if (cmd.stop) { db.close(); out({ ok: true }); return process.exit(0); }
    try {
      if (cmd.exec) db.exec(cmd.exec);
      const rows = cmd.all ? db.prepare(cmd.all).all() : undefined;
      out({ ok: true, rows });
    } catch (e) {
      out({ ok: false, error: (e.code || '') + ': ' + e.message });
    }
  });
  out({ ok: true, ready: true });`;

/**
 * An app holding a SQLite file open, as a dev server does: a child process with its own
 * better-sqlite3 connection that runs what it is sent, one JSON line at a time, and says
 * when it is done. Tests synchronise on its answers, never on sleeps.
 */
export async function startSqliteApp(file: string): Promise<SqliteApp> {
  const child = spawn(process.execPath, ['-e', SCRIPT, require.resolve('better-sqlite3'), file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const replies: AppReply[] = [];
  const waiting: Array<(r: AppReply) => void> = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const reply = JSON.parse(line) as AppReply;
    const next = waiting.shift();
    if (next) next(reply);
    else replies.push(reply);
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const next = () => new Promise<AppReply>((resolve) => (replies.length > 0 ? resolve(replies.shift()!) : waiting.push(resolve)));
  await next();
  const send = async (command: AppCommand): Promise<AppReply> => {
    child.stdin!.write(`${JSON.stringify(command)}\n`);
    if (command.kill) {
      await exited;
      return { ok: true };
    }
    return next();
  };
  return {
    pid: child.pid!,
    send,
    exec: async (sql) => {
      const r = await send({ exec: sql });
      if (!r.ok) throw new Error(`the app failed: ${r.error}`);
    },
    all: async <T>(sql: string) => {
      const r = await send({ all: sql });
      if (!r.ok) throw new Error(`the app failed: ${r.error}`);
      return r.rows as T[];
    },
    dispose: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.write(`${JSON.stringify({ stop: true })}\n`);
      await exited;
    },
  };
}
