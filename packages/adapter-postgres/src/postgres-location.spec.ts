import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isPostgresLocation, parsePostgresLocation, parseServiceFile } from './postgres-location';

describe('parsePostgresLocation', () => {
  const none = {};

  it('reads a URL, with libpq defaults for what it leaves out', () => {
    const l = parsePostgresLocation('postgresql://app@db.example.com/shop?sslmode=require', none);
    expect(l).toMatchObject({ host: 'db.example.com', port: 5432, user: 'app', database: 'shop', sslmode: 'require', schema: 'public', applicationName: 'hesap' });
    expect(l.password).toBeUndefined();
    expect(parsePostgresLocation('postgresql://h', none)).toMatchObject({ user: os.userInfo().username, database: os.userInfo().username, sslmode: 'prefer' });
  });

  it('reads a keyword string and refuses keywords libpq does not know', () => {
    expect(parsePostgresLocation("host=h port=6000 user=u password='a b' dbname=d connect_timeout=7", none)).toMatchObject({
      host: 'h',
      port: 6000,
      user: 'u',
      password: 'a b',
      database: 'd',
      connectTimeoutSeconds: 7,
    });
    expect(() => parsePostgresLocation('host=h passwrd=x', none)).toThrow(/Unknown connection option "passwrd"/);
  });

  it('takes the text first, then the service, then the environment', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hesap-svc-'));
    const file = path.join(dir, 'pg_service.conf');
    fs.writeFileSync(file, '[prod]\nhost=svc-host\nport=7000\ndbname=svc_db\n');
    const env = { PGSERVICEFILE: file, PGHOST: 'env-host', PGUSER: 'env-user', PGDATABASE: 'env_db', PGPASSWORD: 'env-pw' };
    const l = parsePostgresLocation('service=prod dbname=own_db', env);
    expect(l).toMatchObject({ host: 'svc-host', port: 7000, database: 'own_db', user: 'env-user', password: 'env-pw' });
    expect(l.sources).toEqual([`service "prod" in ${file}`, 'PGUSER', 'PGPASSWORD']);
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses an unknown sslmode and a port that is not one, with the secret masked', () => {
    expect(() => parsePostgresLocation('postgresql://u:hunter2@h/d?sslmode=yes', none)).toThrow(/Unknown sslmode "yes": postgresql:\/\/u:\*\*\*@h\/d/);
    expect(() => parsePostgresLocation('host=h port=99999 password=hunter2', none)).toThrow(/not a port number: host=h port=99999 password=\*\*\*$/);
  });

  it('knows its own texts from file paths', () => {
    expect(isPostgresLocation('postgres://h/d')).toBe(true);
    expect(isPostgresLocation('host=h dbname=d')).toBe(true);
    expect(isPostgresLocation('mysql://h/d')).toBe(false);
    expect(isPostgresLocation('./app.db')).toBe(false);
    expect(isPostgresLocation('file:./dev.db')).toBe(false);
  });
});

describe('parseServiceFile', () => {
  it('reads sections, skipping comments and blank lines', () => {
    const services = parseServiceFile('# c\n[a]\nhost = h1\n\n[b]\nport=2\n; not a key\n');
    expect(Object.fromEntries(services)).toEqual({ a: { host: 'h1' }, b: { port: '2' } });
  });
});
