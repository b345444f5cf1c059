/**
 * Keeping secrets out of output. URLs are shown as `postgresql://user:***@host/db`,
 * also when they do not parse, and any text can be scrubbed of known secrets.
 */

const MASK = '***';
const SECRET_PARAMS = /([?&](?:password|pass|pwd|sslpassword|sslkey|token|secret|api_key)=)[^&#\s]*/gi;

/**
 * The userinfo password of a URL that does not parse: between `scheme://user:` and the
 * last `@` before the query. Returns [start, end) offsets, or undefined.
 */
function rawPasswordSpan(url: string): [number, number] | undefined {
  const head = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:/i.exec(url);
  if (!head) return undefined;
  const start = head[0].length;
  const query = url.slice(start).search(/[?#]/);
  const authority = query < 0 ? url.slice(start) : url.slice(start, start + query);
  let at = authority.lastIndexOf('@');
  if (at < 0 && query >= 0) at = url.slice(start).lastIndexOf('@');
  return at < 0 ? undefined : [start, start + at];
}

/** The URL with its password (and any password-like query parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  let out = url;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    if (parsed.password) {
      parsed.password = MASK;
      // URL re-encodes the mask; keep it readable.
      out = parsed.toString().replace(encodeURIComponent(MASK), MASK);
    }
  } else {
    const span = rawPasswordSpan(url);
    if (span) out = url.slice(0, span[0]) + MASK + url.slice(span[1]);
  }
  return out.replace(SECRET_PARAMS, `$1${MASK}`);
}

/** The secrets inside a connection URL (password and password-like parameters), for {@link scrub}. */
export function secretsOf(url: string): string[] {
  const secrets = new Set<string>();
  const add = (value: string | undefined) => {
    if (!value) return;
    secrets.add(value);
    try {
      secrets.add(decodeURIComponent(value));
    } catch {
      // a bare % cannot be decoded: the raw form is enough
    }
  };
  const span = rawPasswordSpan(url);
  if (span) add(url.slice(span[0], span[1]));
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    add(parsed.password);
    for (const [key, value] of parsed.searchParams) {
      if (/^(password|pass|pwd|sslpassword|token|secret|api_key)$/i.test(key)) add(value);
    }
  } else {
    for (const m of url.matchAll(/[?&](?:password|pass|pwd|sslpassword|token|secret|api_key)=([^&#\s]*)/gi)) add(m[1]);
  }
  return [...secrets].filter((s) => s.length > 0);
}

/** Replaces every occurrence of each secret in `text` with `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 0) out = out.split(secret).join(MASK);
  }
  return out;
}
