import * as path from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import ts from 'typescript';
import { adapterGenerator, normalizeOptions } from './generator';

const repoRoot = path.resolve(__dirname, '../../../..');

/** A workspace shaped like hesap's: the files the generator wires the new package into. */
function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('tsconfig.json', JSON.stringify({ files: [], references: [{ path: 'packages/core/tsconfig.build.json' }] }));
  tree.write('jest.config.js', `module.exports = {\n  projects: [\n    '<rootDir>/packages/core',\n    '<rootDir>/packages/adapter-sqlite',\n    '<rootDir>/apps/cli',\n  ],\n};\n`);
  tree.write(
    'jest.preset.js',
    `const workspaceSources = {\n  '^@hesap/core$': path.join(root, 'packages/core/src/index.ts'),\n  '^@hesap/adapter-sqlite$': path.join(root, 'packages/adapter-sqlite/src/index.ts'),\n};\n`,
  );
  return tree;
}

/** Type-checks the generated package against the real core, as `tsc` would: strict, with the workspace's settings. */
function typeErrors(tree: Tree, projectRoot: string, packageName: string): string[] {
  const virtualRoot = path.join(repoRoot, projectRoot);
  const inTree = (file: string) => path.relative(repoRoot, file).split(path.sep).join('/');
  const isVirtual = (file: string) => path.resolve(file).startsWith(virtualRoot + path.sep);
  const files = tree
    .children(`${projectRoot}/src`)
    .map((f) => path.join(virtualRoot, 'src', f))
    .concat(path.join(virtualRoot, 'test', 'conformance.test.ts'));
  const options: ts.CompilerOptions = {
    ...ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(repoRoot, 'tsconfig.base.json'), ts.sys.readFile).config, ts.sys, repoRoot).options,
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    incremental: false,
    types: ['node', 'jest'],
    typeRoots: [path.join(repoRoot, 'node_modules/@types')],
    baseUrl: repoRoot,
    paths: {
      '@hesap/core': ['packages/core/src/index.ts'],
      '@hesap/core/testing': ['packages/core/src/testing/index.ts'],
      [packageName]: [`${projectRoot}/src/index.ts`],
    },
  };
  const host = ts.createCompilerHost(options);
  const base = { fileExists: host.fileExists, readFile: host.readFile, directoryExists: host.directoryExists?.bind(host) };
  host.fileExists = (file) => (isVirtual(file) ? tree.exists(inTree(file)) : base.fileExists(file));
  host.readFile = (file) => (isVirtual(file) ? (tree.read(inTree(file), 'utf-8') ?? undefined) : base.readFile(file));
  host.directoryExists = (dir) => (isVirtual(dir) || path.resolve(dir) === virtualRoot ? tree.exists(inTree(dir)) : (base.directoryExists?.(dir) ?? true));
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (file, language, onError, create) => {
    if (!isVirtual(file)) return getSourceFile(file, language, onError, create);
    const text = tree.read(inTree(file), 'utf-8');
    return text === null ? undefined : ts.createSourceFile(file, text, language);
  };
  const program = ts.createProgram(files, options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.relative(repoRoot, d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('the adapter generator', () => {
  beforeEach(() => {
    // formatFiles says when no formatter is installed, and the generator says what it made: not test output.
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    jest.spyOn(console, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('normalizes the options', () => {
    expect(normalizeOptions({ name: ' Duck-DB ', schemes: 'duckdb:, md' })).toEqual({
      fileName: 'duck-db',
      className: 'DuckDb',
      propertyName: 'duckDb',
      packageName: '@hesap/adapter-duck-db',
      projectRoot: 'packages/adapter-duck-db',
      schemes: ['duckdb', 'md'],
      description: 'hesap adapter for DuckDb.',
    });
    expect(normalizeOptions({ name: 'adapter-mysql' }).schemes).toEqual(['mysql']);
    expect(() => normalizeOptions({ name: '9lives' })).toThrow('--name "9lives": use lowercase letters');
    expect(() => normalizeOptions({ name: 'x', schemes: 'a b' })).toThrow('--schemes "a b"');
  });

  it('scaffolds a package wired to the contract, from the templates', async () => {
    const tree = workspace();
    await adapterGenerator(tree, { name: 'duckdb', schemes: 'duckdb,md', description: 'DuckDB files through duckdb-node.' });
    const root = 'packages/adapter-duckdb';
    expect(tree.children(root).sort()).toEqual(['jest.config.js', 'package.json', 'src', 'test', 'tsconfig.build.json', 'tsconfig.json']);
    expect(tree.children(`${root}/src`).sort()).toEqual(['duckdb-adapter.ts', 'duckdb-introspector.ts', 'duckdb-source.ts', 'duckdb-target.ts', 'index.ts']);
    expect(JSON.parse(tree.read(`${root}/package.json`, 'utf-8')!)).toMatchObject({
      name: '@hesap/adapter-duckdb',
      description: 'DuckDB files through duckdb-node.',
      dependencies: { '@hesap/core': '0.1.0' },
    });
    const adapter = tree.read(`${root}/src/duckdb-adapter.ts`, 'utf-8')!;
    expect(adapter).toContain('export class DuckdbAdapter extends AdapterBase {');
    expect(adapter).toContain("readonly schemes = ['duckdb', 'md'] as const;");
    expect(tree.read(`${root}/src/duckdb-source.ts`, 'utf-8')).toContain("new HesapError('UNSUPPORTED', `The duckdb adapter cannot ${what} yet.`)");
    expect(tree.read(`${root}/src/index.ts`, 'utf-8')).toContain('duckdbAdapter as adapter');
    expect(tree.read(`${root}/test/conformance.test.ts`, 'utf-8')).toContain("runAdapterConformance({\n  name: 'duckdb',");
    // No template leftovers.
    const generated = tree.listChanges().filter((c) => c.path.startsWith(root));
    expect(generated.filter((c) => /__|\.template$/.test(c.path) || c.content?.toString().includes('<%'))).toEqual([]);
  });

  it('wires the package into the build, Jest and the source mapping', async () => {
    const tree = workspace();
    await adapterGenerator(tree, { name: 'duckdb' });
    expect(JSON.parse(tree.read('tsconfig.json', 'utf-8')!).references).toContainEqual({ path: 'packages/adapter-duckdb/tsconfig.build.json' });
    expect(tree.read('jest.config.js', 'utf-8')).toContain("    '<rootDir>/packages/adapter-sqlite',\n    '<rootDir>/packages/adapter-duckdb',\n    '<rootDir>/apps/cli',");
    expect(tree.read('jest.preset.js', 'utf-8')).toContain("  '^@hesap/adapter-duckdb$': path.join(root, 'packages/adapter-duckdb/src/index.ts'),\n};");
  });

  it('writes code that type-checks against the real core, strict', async () => {
    const tree = workspace();
    await adapterGenerator(tree, { name: 'probe-db', schemes: 'probe' });
    expect(typeErrors(tree, 'packages/adapter-probe-db', '@hesap/adapter-probe-db')).toEqual([]);
  }, 60_000);

  it('refuses to overwrite a package that exists', async () => {
    const tree = workspace();
    tree.write('packages/adapter-duckdb/package.json', '{"name":"mine"}');
    await expect(adapterGenerator(tree, { name: 'duckdb' })).rejects.toThrow('packages/adapter-duckdb already exists: the generator never overwrites a package.');
    expect(tree.read('packages/adapter-duckdb/package.json', 'utf-8')).toBe('{"name":"mine"}');
  });
});
