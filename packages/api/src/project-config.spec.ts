import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveLocations } from './project-config';

/** A project folder with `files` (path → content), removed afterwards. */
function withProject(files: Record<string, string>, test: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hesap-config-'));
  try {
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    test(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const PG = 'postgresql://app:S3cr3t#x@db.example.com:5432/app';

describe('resolveLocations', () => {
  it('reads .env as dotenv does: quotes, trailing comments, export, multi-line; from a parent folder up to the root', () => {
    withProject(
      {
        'package.json': '{}',
        '.env': `# settings\nexport HESAP_LOCAL_DB=./app.db\nRENDER_DATABASE_URL="${PG}"  # production\nHESAP_REMOTE_URL="host=db\nuser=app"\n`,
        'src/deep/.keep': '',
      },
      (dir) => {
        const where = resolveLocations({}, path.join(dir, 'src', 'deep'), {});
        expect(where.envFile).toBe(path.join(dir, '.env'));
        expect(where.local).toMatchObject({ value: './app.db', source: `HESAP_LOCAL_DB (${path.join(dir, '.env')})` });
        expect(where.remote).toMatchObject({ value: 'host=db\nuser=app', source: `HESAP_REMOTE_URL (${path.join(dir, '.env')})` });
        expect(resolveLocations({}, dir, { HESAP_REMOTE_URL: '' }).remote.value).toBe('host=db\nuser=app');
        expect(resolveLocations({}, dir, { HESAP_REMOTE_URL: 'host=env' }).remote.source).toBe('HESAP_REMOTE_URL (environment)');
      },
    );
  });

  it('never reads a .env above the project root', () => {
    withProject({ '.env': `RENDER_DATABASE_URL=${PG}\n`, 'app/package.json': '{}' }, (dir) => {
      expect(resolveLocations({}, path.join(dir, 'app'), {})).toMatchObject({ envFile: undefined, remote: { notes: [] } });
      expect(resolveLocations({}, path.join(dir, 'app'), {}).remote.value).toBeUndefined();
    });
  });

  it("Prisma's file: URL is the local file, relative to the schema's folder; the remote comes from elsewhere and status says why", () => {
    withProject({ 'package.json': '{}', 'prisma/schema.prisma': '', '.env': `DATABASE_URL="file:./dev.db"\nRENDER_DATABASE_URL=${PG.replace('#', '%23')}\n` }, (dir) => {
      const where = resolveLocations({}, dir, {});
      expect(where.local.value).toBe(path.join(dir, 'prisma', 'dev.db'));
      expect(where.local.notes).toEqual([expect.stringMatching(/relative to .*prisma, the folder of schema\.prisma, as Prisma reads it/)]);
      expect(where.remote).toMatchObject({ source: expect.stringMatching(/^RENDER_DATABASE_URL/) });
      // Reading never creates the file.
      expect(fs.existsSync(where.local.value!)).toBe(false);
    });
  });

  it('says so when a Prisma path is ambiguous, and when DATABASE_URL was passed over for the remote', () => {
    withProject({ 'package.json': '{}', 'dev.db': '', '.env': 'DATABASE_URL=file:./dev.db\n' }, (dir) => {
      const where = resolveLocations({}, dir, {});
      expect(where.local.value).toBe(path.join(dir, 'dev.db'));
      expect(where.local.notes[0]).toMatch(/No Prisma schema .* Pass --local to be sure/);
      expect(where.remote.value).toBeUndefined();
      expect(where.remote.notes[0]).toMatch(/names a SQLite file: it is the local database, not the remote/);
    });
    withProject({ 'package.json': '{}', 'prisma/schema.prisma': '', 'dev.db': '', '.env': 'DATABASE_URL=file:./dev.db\n' }, (dir) => {
      expect(resolveLocations({}, dir, {}).local.notes[1]).toMatch(/exists but .* does not: Prisma reads the latter/);
    });
  });

  it("django-environ's sqlite: URLs, relative and absolute", () => {
    withProject({ 'package.json': '{}', '.env': 'DATABASE_URL=sqlite:///db.sqlite3\n' }, (dir) => {
      expect(resolveLocations({}, dir, {}).local.value).toBe(path.join(dir, 'db.sqlite3'));
    });
    expect(resolveLocations({}, os.tmpdir(), { DATABASE_URL: 'sqlite:////srv/app/db.sqlite3' }).local.value).toBe('/srv/app/db.sqlite3');
  });

  it('named targets: the configuration names the variable; none chosen among several is an error, not a guess', () => {
    withProject(
      {
        'package.json': '{}',
        'hesap.config.json': JSON.stringify({ local: 'data/app.db', targets: { staging: { remote: 'STAGING_URL' }, production: { remote: 'RENDER_DATABASE_URL' } } }),
        '.env': `STAGING_URL=postgresql://s@staging/app\nRENDER_DATABASE_URL=${PG.replace('#', '%23')}\n`,
      },
      (dir) => {
        expect(resolveLocations({ target: 'staging' }, dir, {})).toMatchObject({ target: 'staging', remote: { value: 'postgresql://s@staging/app' }, local: { value: path.join(dir, 'data', 'app.db') } });
        expect(() => resolveLocations({}, dir, {})).toThrow(/choose one with --target/);
        expect(() => resolveLocations({ target: 'prod' }, dir, {})).toThrow(/There is no target "prod"/);
        expect(resolveLocations({ remote: 'postgresql://flag/db' }, dir, {}).remote.source).toBe('--remote');
      },
    );
  });
});
