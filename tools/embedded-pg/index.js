// Starts tools/embedded-pg/embedded-pg.mjs as a child process and resolves with its URL.
// The server stops when `stop()` is called or when this process exits.
const { spawn } = require('node:child_process');
const path = require('node:path');

/**
 * @param {{ timeoutMs?: number, port?: number, postgresFlags?: string[], hba?: string, ssl?: { cert: string, key: string } }} [options]
 */
function startEmbeddedPostgres({ timeoutMs = 120000, port, postgresFlags, hba, ssl } = {}) {
  const custom = postgresFlags || hba || ssl ? { postgresFlags, hba, ssl } : undefined;
  const env = custom ? { ...process.env, HESAP_EMBEDDED_PG_OPTIONS: JSON.stringify(custom) } : process.env;
  return new Promise((resolve, reject) => {
    const args = [path.join(__dirname, 'embedded-pg.mjs'), ...(port ? [String(port)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], env });
    let out = '';
    // Waiters for the next line that starts with a word (READY, STOPPED), in order.
    const waiters = [];
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`The embedded PostgreSQL did not start within ${timeoutMs / 1000} s.`));
    }, timeoutMs);
    const stop = () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    };
    const exited = new Promise((done) => child.on('exit', done));
    const next = (word) =>
      new Promise((done, fail) => {
        waiters.push({ word, done, fail });
      });
    const send = async (line, word) => {
      const answer = next(word);
      child.stdin.write(`${line}\n`);
      const text = await answer;
      if (text.startsWith('FAILED')) throw new Error(`embedded PostgreSQL: ${text}`);
    };
    let started = false;
    let pid = 0;
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const m = /^READY (\S+)(?: (\d+))?/.exec(line);
        if (m && m[2]) pid = Number(m[2]);
        if (m && !started) {
          started = true;
          clearTimeout(timer);
          process.on('exit', stop);
          resolve({
            url: m[1],
            port: Number(new URL(m[1]).port),
            stop,
            stopped: exited,
            stopServer: (mode = 'fast') => send(mode === 'immediate' ? 'STOP immediate' : 'STOP', 'STOPPED'),
            startServer: () => send('START', 'READY'),
            pid: () => pid,
          });
          continue;
        }
        const waiter = waiters.find((w) => line.startsWith(w.word) || line.startsWith('FAILED'));
        if (waiter) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.done(line);
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w.fail(new Error(`The embedded PostgreSQL exited with code ${code}.`));
      reject(new Error(`The embedded PostgreSQL exited with code ${code}.`));
    });
  });
}

module.exports = { startEmbeddedPostgres };
