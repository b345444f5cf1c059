import fc from 'fast-check';
import { isKeywordText, maskConnectionText, maskConnectionTextsIn, paramValue, parseConnectionText } from './conninfo';

const values = (text: string) => Object.fromEntries(parseConnectionText(text)!.params.map((p) => [p.key, p.value]));

describe('parseConnectionText: URLs', () => {
  it('splits a URL into its parts', () => {
    expect(values('postgresql://app:s3cret@db.example.com:6543/shop?sslmode=require&application_name=x')).toEqual({
      user: 'app',
      password: 's3cret',
      host: 'db.example.com',
      port: '6543',
      dbname: 'shop',
      sslmode: 'require',
      application_name: 'x',
    });
  });

  it('decodes a percent-encoded password', () => {
    expect(values('postgresql://postgres:Sup3r-S3cret%21@host:5432/db').password).toBe('Sup3r-S3cret!');
  });

  it('takes a raw password holding @ then # as typed', () => {
    const v = values('postgresql://app:Tr0ub4dor@Horse#Battery9@host/db');
    expect(v).toMatchObject({ user: 'app', password: 'Tr0ub4dor@Horse#Battery9', host: 'host', dbname: 'db' });
  });

  it('takes a raw password holding ?, / and : as typed', () => {
    expect(values('postgres://u:a/b?c:d@host:5432/db')).toMatchObject({ password: 'a/b?c:d', host: 'host', port: '5432', dbname: 'db' });
  });

  it('keeps a bare % as it is', () => {
    expect(values('postgres://u:100%sure@host/db').password).toBe('100%sure');
  });

  it('reads an @ in the query as part of the query, not of a userinfo', () => {
    expect(values('postgres://host:5432/db?application_name=me@example.com')).toEqual({
      host: 'host',
      port: '5432',
      dbname: 'db',
      application_name: 'me@example.com',
    });
  });

  it('reads a bracketed IPv6 host and an empty host', () => {
    expect(values('postgresql://u@[::1]:5433/db')).toMatchObject({ host: '::1', port: '5433' });
    expect(values('postgresql:///db?host=/var/run/postgresql')).toEqual({ dbname: 'db', host: '/var/run/postgresql' });
  });

  it('gives the last value of a key, whatever its case', () => {
    const parsed = parseConnectionText('postgres://u:one@h/db?Password=two')!;
    expect(paramValue(parsed, 'password')).toBe('two');
  });
});

describe('parseConnectionText: keyword strings', () => {
  it('recognises libpq keyword strings and nothing else', () => {
    expect(isKeywordText('host=db user=app')).toBe(true);
    expect(isKeywordText('  service = prod')).toBe(true);
    expect(isKeywordText('./app.db')).toBe(false);
    expect(isKeywordText('postgres://h/db?x=1')).toBe(false);
    expect(isKeywordText('C:\\data\\app.db')).toBe(false);
  });

  it('reads quoted values, escapes and spaces around =', () => {
    expect(values(`host=db.example.com port = 5433 user=app password='it\\'s a b\\\\c' dbname=shop sslmode=verify-full`)).toEqual({
      host: 'db.example.com',
      port: '5433',
      user: 'app',
      password: "it's a b\\c",
      dbname: 'shop',
      sslmode: 'verify-full',
    });
    expect(values(`password=p\\ w dbname=''`)).toEqual({ password: 'p w', dbname: '' });
  });

  it('reports a key without a value and an unclosed quote, without the value', () => {
    expect(parseConnectionText('host=db password')!.problems).toEqual(['"password" has no value (expected password=...)']);
    const unclosed = parseConnectionText("host=db password='hunter2");
    expect(unclosed!.problems).toEqual(['the value of "password" has no closing quote']);
    expect(unclosed!.problems.join(' ')).not.toContain('hunter2');
  });
});

describe('parseConnectionText: malformed URLs', () => {
  it('reports a malformed percent-encoding and a host with a space, naming the part only', () => {
    expect(parseConnectionText('postgres://u:ab%21%zz@h/db')!.problems).toEqual(['the password has a malformed percent-encoding']);
    expect(parseConnectionText('postgres://u:pw@ho st/db')!.problems).toEqual(['the host has a space in it']);
    expect(parseConnectionText('postgres://u:pw@h:notaport/db')!.problems).toEqual(['the host or port is not valid']);
    expect(parseConnectionText('postgres://u:pw@h:5432/db')!.problems).toEqual([]);
  });
});

describe('maskConnectionText', () => {
  it('masks only where a secret stands, whatever the password is', () => {
    // Common words as passwords: nothing but the password itself changes.
    for (const pw of ['table', 'e', 'postgres', 'db', 'sslmode']) {
      expect(maskConnectionText(`postgresql://postgres:${pw}@db:5432/postgres?sslmode=require`)).toBe('postgresql://postgres:***@db:5432/postgres?sslmode=require');
      expect(maskConnectionText(`host=db user=postgres password=${pw} dbname=table`)).toBe('host=db user=postgres password=*** dbname=table');
    }
  });

  it('masks a raw password holding @ then #, and quoted keyword passwords', () => {
    expect(maskConnectionText('postgresql://app:Tr0ub4dor@Horse#Battery9@host/db')).toBe('postgresql://app:***@host/db');
    expect(maskConnectionText("host=h password='a b c' sslpassword=k")).toBe('host=h password=*** sslpassword=***');
  });

  it('masks a malformed text as far as it was read', () => {
    expect(maskConnectionText('postgres://u:ab%21%zz@ho st/db')).toBe('postgres://u:***@ho st/db');
    expect(maskConnectionText("host=h password='never closed")).toBe('host=h password=***');
  });

  it('leaves paths and texts without secrets as they are', () => {
    for (const text of ['./app.db', 'my db.sqlite', 'postgres://u@h/db', 'host=h user=u', 'sqlite:///tmp/a.db']) expect(maskConnectionText(text)).toBe(text);
  });

  it('never shows any part of a password, in any character, in either form', () => {
    const chars = fc.constantFrom(...'abcXYZ019 @#?/:%&=+!\'"\\'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { minLength: 1, maxLength: 24 }).map((a) => a.join('')), (pw) => {
        // A raw password is taken as percent-encoded when it is (%41 is "A"): written encoded here.
        const url = `postgresql://app:${encodeURIComponent(pw)}@host:5432/db?sslmode=require`;
        expect(maskConnectionText(url)).toBe('postgresql://app:***@host:5432/db?sslmode=require');
        expect(values(url).password).toBe(pw);
        const quoted = `'${pw.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
        const keywords = `host=h password=${quoted} dbname=d`;
        expect(maskConnectionText(keywords)).toBe('host=h password=*** dbname=d');
        expect(values(keywords).password).toBe(pw);
      }),
      { numRuns: 300 },
    );
  });

  it('masks raw passwords with @, # and ? as typed when a host follows', () => {
    const chars = fc.constantFrom(...'abcXYZ019@#?!'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { minLength: 1, maxLength: 16 }).map((a) => a.join('')), (pw) => {
        const url = `postgresql://app:${pw}@db.example.com:5432/app`;
        expect(maskConnectionText(url)).toBe('postgresql://app:***@db.example.com:5432/app');
        expect(values(url)).toMatchObject({ password: pw, host: 'db.example.com', dbname: 'app' });
      }),
      { numRuns: 300 },
    );
  });
});

describe('maskConnectionTextsIn', () => {
  it('masks the connection texts inside a message, and nothing else, whatever the password', () => {
    for (const pw of ['table', 'e', 'postgres', 'Tr0ub4dor@Horse#Battery9', "it's", 'a"b']) {
      const message = `connect to postgresql://postgres:${pw}@db:5432/table failed: password authentication failed for user "postgres" (table e)`;
      expect(maskConnectionTextsIn(message)).toBe('connect to postgresql://postgres:***@db:5432/table failed: password authentication failed for user "postgres" (table e)');
    }
  });

  it('masks password= pairs, quoted or not', () => {
    expect(maskConnectionTextsIn("bad: host=h password='a b' dbname=d, and password=x2; token = t")).toBe('bad: host=h password=*** dbname=d, and password=***; token = ***');
  });

  it('leaves text without connection texts as it is', () => {
    for (const text of ['{"dryRun": false, "tables": []}', 'table  action', 'see https://example.com/docs?x=1']) expect(maskConnectionTextsIn(text)).toBe(text);
  });
});
