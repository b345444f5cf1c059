'use strict';
/**
 * The timed rounds: every operation once per round, each round in a rotated order, so
 * machine noise falls on all of them alike. Each run is preceded by its setup and an
 * untimed CHECKPOINT, and followed by its row-count check.
 */
const { measure } = require('./lib');
const { log, hesapResult, csvBytesOf } = require('./context');

/** Every round's entry per operation id: seconds, peak RSS and CPU time, or the error. */
async function runRounds(ctx, ops, na) {
  const { o, tmpDir, admin, tools } = ctx;
  const results = Object.fromEntries(ops.map((op) => [op.id, []]));
  log(`${ops.length} operations × ${o.rounds} rounds; not available: ${na.map((n) => n.id).join(', ') || 'none'}`);
  for (let round = 0; round < o.rounds; round++) {
    const shift = Math.floor((round * ops.length) / o.rounds);
    const order = ops.map((_, i) => ops[(i + shift) % ops.length]);
    for (const op of order) {
      const entry = { round: round + 1 };
      if (op.timedOut) {
        entry.error = `skipped: it ran over ${o.timeout} s in an earlier round`;
        entry.skipped = true;
        results[op.id].push(entry);
        continue;
      }
      try {
        await op.setup?.();
        await admin.checkpoint();
        const r = await measure({ ...op.command(), cwd: tmpDir, tmpDir, timeFile: tools.time, timeoutSeconds: o.timeout });
        Object.assign(entry, { seconds: r.seconds, rssBytes: r.rssBytes, cpuSeconds: r.cpuSeconds, exit: r.code });
        if (r.timedOut) {
          op.timedOut = true;
          entry.timedOut = true;
          throw new Error(`stopped after ${o.timeout} s (--timeout)`);
        }
        if (op.kind === 'hesap') {
          const res = hesapResult(r);
          if (res.error) throw Object.assign(new Error(res.error), { code: res.code });
          entry.csvBytes = csvBytesOf(res.doc) || undefined;
          op.after?.(res.doc);
        } else if (r.code !== 0) {
          throw new Error((r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${r.code}`).slice(0, 400));
        }
        await op.check?.();
      } catch (error) {
        entry.error = error.message;
        entry.code = error.code;
        // A stopped client can leave its statement running in the server: end it before the next run.
        await admin
          .query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname LIKE 'hesap\\_bench\\_%' AND pid <> pg_backend_pid()")
          .catch(() => undefined);
      }
      results[op.id].push(entry);
      log(`round ${round + 1} ${op.id}: ${entry.error ? `FAILED ${entry.error}` : `${entry.seconds.toFixed(2)} s, ${entry.rssBytes ? `${(entry.rssBytes / 2 ** 20).toFixed(0)} MiB` : '? MiB'}`}`);
    }
  }
  return results;
}

module.exports = { runRounds };
