'use strict';
/** `--rss-scaling`: hesap's peak RSS for push and pull of the orders, at the run's size and at ten times the orders. */
const fs = require('node:fs');
const path = require('node:path');
const { log, dataFile, hesapResult, csvBytesOf } = require('./context');

/** One entry per size (or one error entry): push and pull seconds and peak RSS. */
async function measureRssScaling(ctx) {
  const { o, tmpDir, admin, data, file, db, url, createDb, runHesap } = ctx;
  const rssScaling = [];
  try {
    // Ten times the orders (10M at the default scale), without items and bills.
    const tenfold = 10 * data.counts.orders;
    const big = await dataFile(o, `bench-orders-${tenfold}`, { scale: o.scale, orders: tenfold, only: 'orders' });
    for (const [label, f, rows] of [
      [`${data.counts.orders} orders`, file, data.counts.orders],
      [`${tenfold} orders`, big.file, big.counts.orders],
    ]) {
      const name = db('rss', 'new');
      await createDb(name);
      await admin.checkpoint();
      const push = await runHesap(['db', 'push', '--mode', 'create', '--json', '--tables', 'orders', '--local', f, '--remote', url(name)]);
      const pushRes = hesapResult(push);
      const out = path.join(tmpDir, 'rss-pull.db');
      fs.rmSync(out, { force: true });
      await admin.checkpoint();
      const pull = await runHesap(['db', 'pull', '--yes', '--json', '--tables', 'orders', '--local', out, '--remote', url(name)]);
      const pullRes = hesapResult(pull);
      rssScaling.push({
        label,
        rows,
        push: { seconds: push.seconds, rssBytes: push.rssBytes, error: pushRes.error, csvBytes: csvBytesOf(pushRes.doc) },
        pull: { seconds: pull.seconds, rssBytes: pull.rssBytes, error: pullRes.error },
      });
      log(`rss ${label}: push ${(push.rssBytes / 2 ** 20).toFixed(0)} MiB, pull ${(pull.rssBytes / 2 ** 20).toFixed(0)} MiB`);
      fs.rmSync(out, { force: true });
      await admin.drop(name);
    }
  } catch (error) {
    log(`--rss-scaling failed: ${error.message}`);
    rssScaling.push({ label: 'error', error: error.message });
  }
  return rssScaling;
}

module.exports = { measureRssScaling };
