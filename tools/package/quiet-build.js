#!/usr/bin/env node
// Builds every project with Nx and says so in one line. Nx's own output is shown when the
// build fails, or always with HESAP_BUILD_VERBOSE=1 (or --verbose).
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

/** Runs the build; returns true when it succeeded. `say` gets the one line for people. */
function quietBuild({ verbose = process.env.HESAP_BUILD_VERBOSE === '1', say = (line) => process.stdout.write(`${line}\n`) } = {}) {
  const started = Date.now();
  const nx = path.join(root, 'node_modules', '.bin', 'nx');
  const args = ['run-many', '-t', 'build', '--outputStyle=static'];
  if (verbose) {
    const run = spawnSync(nx, args, { cwd: root, stdio: 'inherit' });
    return run.status === 0;
  }
  say('Building hesap (Nx, every package)…');
  const run = spawnSync(nx, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NX_TUI: 'false', FORCE_COLOR: '0' } });
  if (run.status !== 0) {
    process.stderr.write(`${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}\nThe build failed (output above).\n`);
    return false;
  }
  say(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return true;
}

module.exports = { quietBuild, root };

if (require.main === module) {
  process.exitCode = quietBuild({ verbose: process.env.HESAP_BUILD_VERBOSE === '1' || process.argv.includes('--verbose') }) ? 0 : 1;
}
