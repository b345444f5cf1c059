'use strict';
/**
 * Loaded with NODE_OPTIONS="--require tools/bench/rss-hook.js" into a measured Node
 * process: when it exits, writes its peak RSS (bytes) and CPU seconds as JSON to the
 * file named by HESAP_BENCH_RSS_FILE. Nothing else changes in the process.
 */
const file = process.env.HESAP_BENCH_RSS_FILE;
if (file) {
  // Child processes of the measured one must not overwrite the file.
  delete process.env.HESAP_BENCH_RSS_FILE;
  process.on('exit', () => {
    const u = process.resourceUsage();
    // VmHWM is this process's own peak. getrusage's maxRSS is not: on Linux it keeps the
    // peak of the process that forked it (the runner) across exec.
    let peak = u.maxRSS * 1024;
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'));
      if (m) peak = Number(m[1]) * 1024;
    } catch {
      // no /proc: keep maxRSS
    }
    const report = { pid: process.pid, maxRssBytes: peak, userSeconds: u.userCPUTime / 1e6, systemSeconds: u.systemCPUTime / 1e6 };
    try {
      require('node:fs').writeFileSync(file, JSON.stringify(report));
    } catch {
      // measuring must never change the measured command's outcome
    }
  });
}
