'use strict';
/**
 * The timed operations, in the order the first round runs them: for each data set hesap's
 * own (push replace, create and merge, pull, snapshots) and then the baselines; and the
 * pairs the report compares.
 */
const fs = require('node:fs');
const path = require('node:path');
const { hesapResult } = require('./context');
const { addBaselines } = require('./baselines');

/** The operations to time (those left out by --only are not listed; those unavailable are listed apart), and the comparisons. */
function planOperations(ctx, prepared) {
  const { selectedDatasets, hesap, wanted } = ctx;
  const ops = [];
  const na = [];
  const add = (op) => {
    if (!wanted(op.id)) return;
    if (op.unavailable) na.push({ id: op.id, dataset: op.dataset, label: op.label, reason: op.unavailable });
    else ops.push(op);
  };
  add({
    id: 'cli.startup',
    dataset: 'cli',
    label: 'hesap db push --help (Node + oclif start)',
    kind: 'hesap',
    command: () => hesap(['db', 'push', '--help']),
  });
  for (const ds of selectedDatasets) {
    addHesapOperations(ctx, prepared.support, ds, add);
    if (ds.id === 'all') addSnapshotOperations(ctx, prepared.support, ds, add);
    addBaselines(ctx, prepared, ds, add);
  }
  if (ctx.compare) ops.push(...twinsOf(ops, ctx.compare));
  return { ops, na, comparisons: comparisonsOf(selectedDatasets) };
}

/**
 * With --compare: each hesap data operation again, run by the other checkout's CLI (its
 * setup and check as the original's), so both commits meet the same noise in each round.
 */
function twinsOf(ops, dir) {
  const cli = path.join(dir, 'apps/cli/bin/run.js');
  if (!fs.existsSync(cli)) throw new Error(`--compare: ${cli} does not exist (build that checkout first)`);
  const name = path.basename(dir);
  return ops
    .filter((op) => op.kind === 'hesap' && op.dataset !== 'cli')
    .map((op) => ({
      ...op,
      id: `${op.id}@${name}`,
      label: `${op.label} [${name}]`,
      command: () => {
        const run = op.command();
        return { ...run, args: [cli, ...run.args.slice(1)] };
      },
    }));
}

/** hesap's push (replace, create, merge) and pull of a data set. */
function addHesapOperations(ctx, support, ds, add) {
  const { tmpDir, file, db, halfOf, url, createDb, mergeSource, tablesFlag, hesap, checkPg, checkFile } = ctx;
  const full = db(ds.id, 'full');
  const fresh = db(ds.id, 'new');
  const out = path.join(tmpDir, `pulled-${ds.id}.db`);
  const base = { dataset: ds.id };
  add({
    ...base,
    id: `${ds.id}.push.replace`,
    label: 'hesap db push --mode replace',
    kind: 'hesap',
    command: () => hesap(['db', 'push', '--mode', 'replace', '--yes', '--json', '--local', file, '--remote', url(full), ...tablesFlag(ds)]),
    check: () => checkPg(ds, full),
  });
  add({
    ...base,
    id: `${ds.id}.push.create`,
    label: 'hesap db push --mode create (into an empty database)',
    kind: 'hesap',
    setup: () => createDb(fresh),
    command: () => hesap(['db', 'push', '--mode', 'create', '--json', '--local', file, '--remote', url(fresh), ...tablesFlag(ds)]),
    check: () => checkPg(ds, fresh),
  });
  add({
    ...base,
    id: `${ds.id}.push.merge`,
    label: 'hesap db push --mode merge (target holds half)',
    kind: 'hesap',
    unavailable: support.merge.ok ? undefined : support.merge.reason,
    setup: () => createDb(db(ds.id, 'merge'), halfOf(ds)),
    command: () => hesap(['db', 'push', '--mode', 'merge', '--yes', '--json', '--local', file, '--remote', url(db(ds.id, 'merge')), ...mergeSource, ...tablesFlag(ds)]),
    check: () => checkPg(ds, db(ds.id, 'merge')),
  });
  add({
    ...base,
    id: `${ds.id}.pull`,
    label: 'hesap db pull (into a new file)',
    kind: 'hesap',
    setup: () => fs.rmSync(out, { force: true }),
    command: () => hesap(['db', 'pull', '--yes', '--json', '--local', out, '--remote', url(full), ...tablesFlag(ds)]),
    check: () => checkFile(ds, out),
  });
}

/** Snapshots of the whole database, made from and restored to either side. */
function addSnapshotOperations(ctx, support, ds, add) {
  const { tmpDir, file, db, url, createDb, hesap, runHesap, checkPg, checkFile } = ctx;
  const full = db(ds.id, 'full');
  const base = { dataset: ds.id };
  // The snapshot each side's create made, for its restore.
  const snapshots = {};
  for (const side of ['remote', 'local']) {
    const dir = path.join(tmpDir, `snap-${side}`);
    add({
      ...base,
      id: `all.snapshot.create.${side}`,
      label: `hesap db snapshot create --from ${side}`,
      kind: 'hesap',
      unavailable: support.snapshot.ok ? undefined : support.snapshot.reason,
      setup: () => {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
      },
      command: () => hesap(['db', 'snapshot', 'create', '--from', side, '--dir', dir, '--json', '--local', file, '--remote', url(full)]),
      after: (doc) => {
        snapshots[side] = snapshotArg(doc, dir);
      },
    });
    const restored = side === 'remote' ? db('all', 'restored') : path.join(tmpDir, 'restored.db');
    add({
      ...base,
      id: `all.snapshot.restore.${side}`,
      label: `hesap db snapshot restore --to ${side}`,
      kind: 'hesap',
      unavailable: support.snapshot.ok ? undefined : support.snapshot.reason,
      setup: async () => {
        if (!snapshots[side]) {
          // a snapshot to restore, made untimed when no create ran before this
          fs.rmSync(`${dir}-ref`, { recursive: true, force: true });
          fs.mkdirSync(`${dir}-ref`, { recursive: true });
          const r = hesapResult(
            await runHesap(['db', 'snapshot', 'create', '--from', side, '--dir', `${dir}-ref`, '--json', '--local', file, '--remote', url(full)]),
          );
          if (r.error) throw new Error(`making a snapshot to restore failed: ${r.error}`);
          snapshots[side] = snapshotArg(r.doc, `${dir}-ref`);
        }
        if (side === 'remote') await createDb(restored);
        else fs.rmSync(restored, { force: true });
      },
      command: () =>
        hesap(['db', 'snapshot', 'restore', snapshots[side], '--to', side, '--yes', '--json', ...(side === 'remote' ? ['--remote', url(restored)] : ['--local', restored])]),
      check: () => (side === 'remote' ? checkPg(ds, restored) : checkFile(ds, restored)),
    });
  }
}

/** The snapshot a `hesap db snapshot create --json` made: named in its document, else the newest entry of its folder. */
function snapshotArg(doc, dir) {
  for (const k of ['snapshot', 'path', 'file', 'id', 'name']) {
    const v = doc?.[k] ?? doc?.snapshot?.[k];
    if (typeof v === 'string' && v) return v;
  }
  const entries = fs.readdirSync(dir).map((f) => path.join(dir, f));
  entries.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return entries[0];
}

/** The pairs the report divides: hesap against the baselines that do the same work, merge against replace. */
function comparisonsOf(selectedDatasets) {
  const comparisons = [];
  for (const ds of selectedDatasets) {
    const d = ds.id;
    comparisons.push(
      { dataset: d, hesap: `${d}.push.replace`, baseline: `${d}.base.pipe` },
      { dataset: d, hesap: `${d}.push.replace`, baseline: `${d}.base.ingest` },
      ...(d === 'orders' ? [{ dataset: d, hesap: 'orders.push.replace', baseline: 'orders.base.rowbyrow' }] : []),
      { dataset: d, hesap: `${d}.push.create`, baseline: `${d}.base.pgloader` },
      { dataset: d, hesap: `${d}.pull`, baseline: `${d}.base.lossy-pull` },
      { dataset: d, hesap: `${d}.pull`, baseline: `${d}.base.pull-pipe` },
      // hesap against itself: merge into a half-full target against replace (issue target 2×)
      { dataset: d, hesap: `${d}.push.merge`, baseline: `${d}.push.replace` },
    );
  }
  if (selectedDatasets.some((ds) => ds.id === 'all')) {
    // snapshots against the push or pull that reads the same side and writes as much (target 1.5×)
    comparisons.push(
      { dataset: 'all', hesap: 'all.snapshot.create.remote', baseline: 'all.pull' },
      { dataset: 'all', hesap: 'all.snapshot.create.local', baseline: 'all.push.create' },
      { dataset: 'all', hesap: 'all.snapshot.restore.remote', baseline: 'all.push.create' },
      { dataset: 'all', hesap: 'all.snapshot.restore.local', baseline: 'all.pull' },
    );
  }
  return comparisons;
}

module.exports = { planOperations };
