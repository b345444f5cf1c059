'use strict';
/** The report's numbers: per operation the median and range over the rounds, rows/s, MB/s, RSS and CPU; per comparison the ratio of medians. */
const { median } = require('./lib');

/** `summary` by operation id, and `ratios` for the comparisons whose operations ran. */
function summarize(ctx, ops, results, comparisons) {
  const { o, datasets } = ctx;
  const summary = {};
  for (const op of ops) {
    const ok = results[op.id].filter((e) => !e.error);
    const failed = results[op.id].filter((e) => e.error);
    const unsupported = failed.find((e) => e.code === 'UNSUPPORTED');
    const timedOut = failed.some((e) => e.timedOut);
    const secs = ok.map((e) => e.seconds);
    const ds = datasets[op.dataset];
    const s = {
      id: op.id,
      dataset: op.dataset,
      label: op.label,
      kind: op.kind,
      runs: ok.length,
      failures: failed.length,
      error: unsupported ? `n/a: ${unsupported.error}` : failed.find((e) => !e.skipped)?.error,
      timedOut: timedOut ? o.timeout : undefined,
      median: median(secs),
      min: secs.length ? Math.min(...secs) : undefined,
      max: secs.length ? Math.max(...secs) : undefined,
      rssBytes: median(ok.map((e) => e.rssBytes).filter((x) => x !== undefined)),
      cpuSeconds: median(ok.map((e) => e.cpuSeconds).filter((x) => x !== undefined)),
    };
    if (ds && s.median) {
      s.rowsPerSecond = ds.rows / s.median;
      s.mbPerSecond = ds.csvBytes / 1e6 / s.median;
    }
    summary[op.id] = s;
  }
  const ratios = comparisons
    .filter((c) => summary[c.hesap] || summary[c.baseline])
    .map((c) => {
      const h = summary[c.hesap]?.median;
      const b = summary[c.baseline]?.median;
      return { ...c, hesapLabel: summary[c.hesap]?.label ?? c.hesap, baselineLabel: summary[c.baseline]?.label ?? c.baseline, baselineIsHesap: summary[c.baseline]?.kind === 'hesap', hesapSeconds: h, baselineSeconds: b, ratio: h && b ? h / b : undefined };
    });
  return { summary, ratios };
}

module.exports = { summarize };
