import { redactUrl, scrub, secretsOf } from './redact';

describe('redactUrl', () => {
  it('masks the password of a URL and keeps everything else', () => {
    expect(redactUrl('postgres://user:secret@host:5432/db')).toBe('postgres://user:***@host:5432/db');
    expect(redactUrl('postgresql://app:s3cr%2Ft@db.example.com/app?sslmode=require')).toBe(
      'postgresql://app:***@db.example.com/app?sslmode=require',
    );
  });

  it('masks a percent-encoded password and one holding a colon', () => {
    expect(redactUrl('postgres://u:p%40ss@host/db')).toBe('postgres://u:***@host/db');
    expect(redactUrl('postgres://u:pa:ss@host/db')).toBe('postgres://u:***@host/db');
  });

  it('masks a password holding unencoded @ and spaces', () => {
    const out = redactUrl('postgres://u:p@ss w@rd@host/db');
    expect(out).toBe('postgres://u:***@host/db');
    expect(out).not.toContain('ss w');
  });

  it('masks the password of a URL that does not parse', () => {
    const url = 'postgres://u:se cr@t@host:notaport/db';
    expect(() => new URL(url)).toThrow();
    expect(redactUrl(url)).toBe('postgres://u:***@host:notaport/db');
  });

  it('masks password-like query parameters, whatever their case', () => {
    expect(redactUrl('postgres://u@host/db?password=abc&x=1')).toBe('postgres://u@host/db?password=***&x=1');
    expect(redactUrl('postgres://host/db?sslmode=require&PASSWORD=abc#frag')).toBe('postgres://host/db?sslmode=require&PASSWORD=***#frag');
    expect(redactUrl('postgres://host/db?sslpassword=k1&token=t2&api_key=k3')).toBe(
      'postgres://host/db?sslpassword=***&token=***&api_key=***',
    );
  });

  it('masks both the user-info password and a query password', () => {
    expect(redactUrl('postgres://u:one@host/db?password=two')).toBe('postgres://u:***@host/db?password=***');
  });

  it('leaves URLs without secrets and other text unchanged', () => {
    for (const url of ['postgres://user@host:5432/db', 'postgres://localhost/db', 'sqlite:///tmp/app.db', './app.db', 'not a url']) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  // BUG (redact.ts, redactUrl): the fallback regex /^scheme:\/\/[^:/?#@\s]*:(.*)@/ runs on every
  // URL and its greedy (.*)@ reaches the LAST '@' of the whole string. A '@' in the query
  // (application_name, options, an e-mail user) makes it swallow host, port and database:
  // actual 'postgres://host:***@example.com' (a URL without any password, port taken for one).
  it('leaves a URL without a password unchanged when its query holds an @', () => {
    expect(redactUrl('postgres://host:5432/db?application_name=me@example.com')).toBe(
      'postgres://host:5432/db?application_name=me@example.com',
    );
  });

  // BUG (same cause): actual 'postgres://u:***@b', host and database lost.
  it('keeps host and database when a URL with a password has an @ in its query', () => {
    expect(redactUrl('postgres://u:pw@host/db?options=a@b')).toBe('postgres://u:***@host/db?options=a@b');
  });
});

describe('secretsOf', () => {
  it('gives the password raw and decoded', () => {
    expect(secretsOf('postgres://u:p%40ss@host/db').sort()).toEqual(['p%40ss', 'p@ss']);
    expect(secretsOf('postgres://user:secret@host:5432/db')).toEqual(['secret']);
  });

  it('gives password-like query parameters', () => {
    expect(secretsOf('postgres://u@host/db?password=abc&sslmode=require')).toEqual(['abc']);
    expect(secretsOf('postgres://host/db?token=t1&secret=s2&pwd=p3').sort()).toEqual(['p3', 's2', 't1']);
  });

  it('gives what it can of an unparseable URL', () => {
    expect(secretsOf('postgres://u:se cr@t@host:notaport/db')).toContain('se cr@t');
  });

  it('gives nothing when there is no secret', () => {
    expect(secretsOf('postgres://user@host/db')).toEqual([]);
    expect(secretsOf('sqlite:///tmp/app.db')).toEqual([]);
    expect(secretsOf('postgres://u:@host/db')).toEqual([]);
  });

  // BUG (redact.ts, secretsOf): decodeURIComponent(parsed.password) throws for a password with
  // a '%' that is not an escape ('p%zz'); the catch meant for URL parsing swallows it and the
  // query parameters are never read. Actual ['p%zz']: the token 'abc' is not a secret, so
  // scrub() leaves it in error messages.
  it('still gives the query parameters when the password holds a bare %', () => {
    expect(secretsOf('postgres://u:p%zz@host/db?token=abc')).toContain('abc');
  });
});

describe('scrub', () => {
  it('replaces every occurrence of every secret', () => {
    expect(scrub('connect to u:hunter2@h failed; password hunter2 rejected', ['hunter2'])).toBe(
      'connect to u:***@h failed; password *** rejected',
    );
  });

  it('replaces longer secrets first so no part of one is left', () => {
    expect(scrub('p@ss and p%40ss', ['p', 'p%40ss', 'p@ss'])).toBe('*** and ***');
  });

  it('ignores empty secrets and leaves text without secrets alone', () => {
    expect(scrub('nothing to hide', ['', 'absent'])).toBe('nothing to hide');
  });

  it('removes the secrets secretsOf finds from a driver message', () => {
    const url = 'postgres://app:S3cr%21t@db/app?sslpassword=keypass';
    const message = `password authentication failed for "app" (password S3cr!t, key keypass, url ${url})`;
    const out = scrub(message, secretsOf(url));
    expect(out).not.toContain('S3cr');
    expect(out).not.toContain('keypass');
    expect(out).toContain('password authentication failed for "app"');
  });
});
