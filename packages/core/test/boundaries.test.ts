import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The module boundaries of the workspace, checked on every run (a lint rule would need
 * ESLint): the core imports no adapter and no driver, and no adapter imports another
 * adapter. Everything meets at the contract and the registry.
 */

const packages = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Every module specifier a file imports, exports from, requires or loads dynamically (comments aside). */
export function importsOf(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.push(m[1]!);
  return found;
}

const relative = (spec: string) => spec.startsWith('./') || spec.startsWith('../');
const builtin = (spec: string) => spec.startsWith('node:');

/** Unit specs may use the test libraries; the shipped code may not. */
const TEST_LIBRARIES = ['fast-check', 'csv-parse/sync', '@jest/globals'];

function violations(files: string[], allowed: (spec: string, file: string) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(fs.readFileSync(file, 'utf8'))
      .filter((spec) => !allowed(spec, file))
      .map((spec) => `${path.relative(packages, file)} imports "${spec}"`),
  );
}

describe('module boundaries', () => {
  it('finds every kind of import', () => {
    const text = `import a from 'a';\nimport { b,\n c } from "b";\nexport * from './c';\nimport 'd';\nconst e = require('e');\nconst f = await import('f');\nimport type { G } from 'g';\n/** @example import { x } from 'h'; */\n// import 'i';`;
    expect(importsOf(text)).toEqual(['a', 'b', './c', 'g', 'd', 'e', 'f']);
  });

  it('the core imports nothing but itself and node: built-ins', () => {
    const files = sourceFiles(path.join(packages, 'core/src'));
    expect(files.length).toBeGreaterThan(10);
    const spec = (file: string) => file.endsWith('.spec.ts');
    expect(violations(files, (s, file) => relative(s) || builtin(s) || (spec(file) && TEST_LIBRARIES.includes(s)))).toEqual([]);
  });

  it('no adapter imports another adapter (or the API above it)', () => {
    const adapters = fs.readdirSync(packages).filter((name) => name.startsWith('adapter-'));
    expect(adapters).toEqual(expect.arrayContaining(['adapter-sqlite', 'adapter-postgres']));
    const problems = adapters.flatMap((name) =>
      violations(sourceFiles(path.join(packages, name, 'src')), (s) => {
        const hesap = /^@hesap\/([^/]+)/.exec(s)?.[1];
        return hesap === undefined || hesap === 'core';
      }),
    );
    expect(problems).toEqual([]);
  });
});
