import * as path from 'node:path';
import { formatFiles, generateFiles, logger, names, updateJson, type Tree } from '@nx/devkit';

/** The options as given: `npx nx g @hesap/tools:adapter --name duckdb --schemes duckdb,md`. */
export interface AdapterGeneratorSchema {
  name: string;
  /** Comma-separated URL schemes; the name when absent. */
  schemes?: string;
  description?: string;
}

export interface NormalizedAdapterOptions {
  /** `duck-db`: file names and the adapter's `name`. */
  fileName: string;
  /** `DuckDb`: class names (`DuckDbAdapter`, `DuckDbSource`). */
  className: string;
  /** `duckDb`: the shared instance (`duckDbAdapter`). */
  propertyName: string;
  packageName: string;
  projectRoot: string;
  schemes: string[];
  description: string;
}

const NAME = /^[a-z][a-z0-9-]*$/;
const SCHEME = /^[a-z][a-z0-9+.-]*$/;

/** Checks and completes the options; the error says what a valid one looks like. */
export function normalizeOptions(schema: AdapterGeneratorSchema): NormalizedAdapterOptions {
  const name = schema.name?.trim().toLowerCase().replace(/^adapter-/, '') ?? '';
  if (!NAME.test(name)) throw new Error(`--name "${schema.name}": use lowercase letters, digits and dashes, starting with a letter (e.g. duckdb).`);
  const { fileName, className, propertyName } = names(name);
  const schemes = (schema.schemes ?? fileName)
    .split(',')
    .map((s) => s.trim().toLowerCase().replace(/:$/, ''))
    .filter(Boolean);
  const bad = schemes.find((s) => !SCHEME.test(s));
  if (bad !== undefined || schemes.length === 0) throw new Error(`--schemes "${schema.schemes}": give URL schemes such as ${fileName} or ${fileName},${fileName}2.`);
  return {
    fileName,
    className,
    propertyName,
    packageName: `@hesap/adapter-${fileName}`,
    projectRoot: `packages/adapter-${fileName}`,
    schemes: [...new Set(schemes)],
    description: schema.description?.trim() || `hesap adapter for ${className}.`,
  };
}

/**
 * Inserts `line` in a JS file of the workspace after the last line matching the first
 * pattern that matches any; says so when none does.
 */
function insertAfterLast(tree: Tree, file: string, after: RegExp[], line: string): void {
  const text = tree.read(file, 'utf-8');
  if (text === null) return;
  if (text.includes(line.trim())) return;
  const lines = text.split('\n');
  const pattern = after.find((p) => lines.some((l) => p.test(l)));
  const index = pattern ? lines.map((l) => pattern.test(l)).lastIndexOf(true) : -1;
  if (index < 0) {
    logger.warn(`${file}: add ${line.trim()} by hand (no place for it was found).`);
    return;
  }
  lines.splice(index + 1, 0, line);
  tree.write(file, lines.join('\n'));
}

/** The new package joins the TypeScript build, the Jest projects and the source mapping of the workspace. */
function wireIntoWorkspace(tree: Tree, options: NormalizedAdapterOptions): void {
  if (tree.exists('tsconfig.json')) {
    updateJson(tree, 'tsconfig.json', (json: { references?: Array<{ path: string }> }) => {
      const reference = `${options.projectRoot}/tsconfig.build.json`;
      const references = json.references ?? [];
      if (!references.some((r) => r.path === reference)) references.push({ path: reference });
      return { ...json, references };
    });
  }
  // After the other adapters, else after the last package.
  insertAfterLast(tree, 'jest.config.js', [/'<rootDir>\/packages\/adapter-[^']+',/, /'<rootDir>\/packages\/[^']+',/], `    '<rootDir>/${options.projectRoot}',`);
  insertAfterLast(
    tree,
    'jest.preset.js',
    [/^\s*'\^@hesap\/adapter-[^']+\$': path\.join\(root, '[^']+'\),/, /^\s*'\^@hesap\/[^']+\$': path\.join\(root, '[^']+'\),/],
    `  '^${options.packageName}$': path.join(root, '${options.projectRoot}/src/index.ts'),`,
  );
}

/**
 * Scaffolds packages/adapter-<name>: an AdapterBase subclass with its capabilities, one
 * file per role (introspector, source, target) that throws UNSUPPORTED until filled in,
 * the package, TypeScript and Jest files, and a conformance test calling the kit.
 * Refuses to overwrite a package that exists.
 *
 * @example
 * npx nx g @hesap/tools:adapter --name duckdb
 */
export async function adapterGenerator(tree: Tree, schema: AdapterGeneratorSchema): Promise<void> {
  const options = normalizeOptions(schema);
  if (tree.exists(options.projectRoot)) {
    throw new Error(`${options.projectRoot} already exists: the generator never overwrites a package. Choose another --name, or remove it first.`);
  }
  // The templates sit outside src/, at the same depth from src/adapter and dist/adapter.
  generateFiles(tree, path.join(__dirname, '..', '..', 'files', 'adapter'), options.projectRoot, { ...options, tmpl: '' });
  wireIntoWorkspace(tree, options);
  await formatFiles(tree);
  logger.info(`Created ${options.packageName} in ${options.projectRoot}. Fill in the roles until its conformance test passes (docs/writing-an-adapter.md).`);
}

export default adapterGenerator;
