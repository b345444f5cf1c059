// Starts tools/embedded-pg/embedded-pg.mjs as a child process and resolves with its URL.
// The server stops when `stop()` is called or when this process exits.
const { spawn } = require('node:child_process');
const path = require('node:path');

/** @returns {Promise<{ url: string, stop: () => void }>} */
function startEmbeddedPostgres({ timeoutMs = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'embedded-pg.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`The embedded PostgreSQL did not start within ${timeoutMs / 1000} s.`));
    }, timeoutMs);
    const stop = () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    };
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        process.on('exit', stop);
        resolve({ url: m[1], stop });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The embedded PostgreSQL exited with code ${code}.`));
    });
  });
}

module.exports = { startEmbeddedPostgres };
