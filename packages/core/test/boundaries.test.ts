import * as fs from 'node:fs';
import * as path from 'node:path';
import { importsOf, sourceFiles } from '@hesap/test-support';

/**
 * The module boundaries of the workspace, checked on every run (a lint rule would need
 * ESLint): the core imports no adapter and no driver, and no adapter imports another
 * adapter. Everything meets at the contract and the registry.
 */

const packages = path.resolve(__dirname, '../..');

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
