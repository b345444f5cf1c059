import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { repoRoot } from './peer-data';

/** The TypeScript block of a README between `<!-- readme-example: start -->` and `<!-- readme-example: end -->`. */
export function readmeExample(readme: string): string {
  const text = fs.readFileSync(readme, 'utf8');
  const m = /<!-- readme-example: start -->\s*```ts\n([\s\S]*?)```\s*<!-- readme-example: end -->/.exec(text);
  if (!m) throw new Error(`${readme} has no readme-example block.`);
  return m[1]!;
}

export interface CompiledExample {
  /** The compiled program, to run with node. */
  js: string;
  /** Type errors, formatted; empty when it compiled cleanly. */
  errors: string[];
}

/**
 * Compiles `source` as a user's strict TypeScript project in `dir` would (`strict`,
 * CommonJS, Node's types), resolving imports from `dir` (its node_modules, then upwards)
 * or through `paths`. Returns the JavaScript and any type errors.
 */
export function compileExample(source: string, dir: string, paths?: Record<string, string[]>): CompiledExample {
  const file = path.join(dir, 'example.ts');
  fs.writeFileSync(file, source);
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.join(repoRoot(), 'node_modules', '@types')],
    outDir: dir,
    ...(paths ? { baseUrl: dir, paths } : {}),
  };
  const program = ts.createProgram([file], options);
  const result = program.emit();
  const errors = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  return { js: path.join(dir, 'example.js'), errors };
}
