import * as fs from 'node:fs';
import * as path from 'node:path';
import { importsOf, repoRoot, sourceFiles } from '@hesap/test-support';

/**
 * The CLI is a shell over @hesap/api: the adapters, their drivers, the demo's ORM and the
 * workspace's tools are wired in the API (or live in their own apps), never here.
 */

const CLI_SOURCES = path.join(repoRoot(), 'apps', 'cli', 'src');

/** What the CLI's sources must not import: adapters, database drivers, the ORM, and the tools/ packages. */
function forbidden(spec: string): boolean {
  return (
    /^@hesap\/adapter-/.test(spec) ||
    /^(pg|pg-[a-z-]+|better-sqlite3|mysql2|typeorm)(\/|$)/.test(spec) ||
    /^@hesap\/(embedded-pg|test-support|tools|bench|demo)(\/|$)/.test(spec) ||
    /(^|\/)tools\//.test(spec)
  );
}

describe('the CLI', () => {
  it('tells a forbidden import from an allowed one', () => {
    const text = `import { copy } from '@hesap/api';\nimport pg from 'pg';\nconst m = require('@hesap/adapter-mysql');\nimport { x } from '../../../tools/embedded-pg';\nimport { Flags } from '@oclif/core';\nimport 'typeorm';`;
    expect(importsOf(text).filter(forbidden)).toEqual(['pg', '../../../tools/embedded-pg', 'typeorm', '@hesap/adapter-mysql']);
  });

  it('imports no adapter, no database driver, no ORM and nothing from tools/', () => {
    const files = sourceFiles(CLI_SOURCES);
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((file) =>
      importsOf(fs.readFileSync(file, 'utf8'))
        .filter(forbidden)
        .map((spec) => `${path.relative(CLI_SOURCES, file)} imports "${spec}"`),
    );
    expect(found).toEqual([]);
  });
});
