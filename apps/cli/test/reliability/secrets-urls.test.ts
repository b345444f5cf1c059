import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildLoadDatabase, expectNoSecretLeak, SECRET_PASSWORD, SECRET_ROLE, tempDir } from '@hesap/test-support';

/**
 * The password never shows in what the CLI writes (stdout, stderr, --json, --log-file, at
 * --log-level debug) when the URL itself is wrong: given with --remote, in DATABASE_URL,
 * or in .env.
 */

describe('the password never appears: invalid URLs', () => {
  const tmp = tempDir('hesap-secret-urls');
  const local = path.join(tmp.dir, 'app.db');
  const check = (c: Parameters<typeof expectNoSecretLeak>[0]) => expectNoSecretLeak(c, [SECRET_PASSWORD], tmp.dir);
  const encoded = encodeURIComponent(SECRET_PASSWORD);
  // Forgotten encoding: '/' and '@' in the password move the URL's parts around.
  const raw = `postgresql://${SECRET_ROLE}:${SECRET_PASSWORD}@127.0.0.1:5432/db`;

  beforeAll(() => {
    buildLoadDatabase(local, { parents: 5, childrenPerParent: 1 });
  });
  afterAll(() => tmp.cleanup());

  it.each([
    ['a port that is not a number', `postgresql://${SECRET_ROLE}:${encoded}@127.0.0.1:notaport/db`, 'CONFIG_INVALID'],
    ['an unknown sslmode', `postgresql://${SECRET_ROLE}:${encoded}@127.0.0.1/db?sslmode=bogus`, 'CONFIG_INVALID'],
    ['a space in the host', `postgresql://${SECRET_ROLE}:${encoded}@ho st/db`, 'CONFIG_INVALID'],
    ['a broken percent-encoding', `postgresql://${SECRET_ROLE}:${encoded}%zz@127.0.0.1/db`, 'CONFIG_INVALID'],
    ['a password that was not percent-encoded (whatever the error)', raw, 'ANY'],
  ])('--remote with %s', async (name, url, code) => {
    await check({ name, code, args: ['db', 'push', '--local', local, '--remote', url, '--connect-timeout', '2'] });
  });

  it('in DATABASE_URL and in .env', async () => {
    const bad = `postgresql://${SECRET_ROLE}:${encoded}@127.0.0.1:notaport/db`;
    await check({ name: 'DATABASE_URL', code: 'CONFIG_INVALID', args: ['db', 'push', '--local', local], env: { DATABASE_URL: bad } });
    await check({ name: 'DATABASE_URL raw', code: 'ANY', args: ['db', 'push', '--local', local, '--connect-timeout', '2'], env: { DATABASE_URL: raw } });
    const project = path.join(tmp.dir, 'project');
    fs.mkdirSync(project, { recursive: true });
    fs.writeFileSync(path.join(project, '.env'), `RENDER_DATABASE_URL=${bad}\n`);
    await check({ name: '.env', code: 'CONFIG_INVALID', args: ['db', 'push', '--local', local], cwd: project });
  });
});
