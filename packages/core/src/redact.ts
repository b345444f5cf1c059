/**
 * Keeping secrets out of output. URLs are shown as `postgresql://user:***@host/db`,
 * also when they do not parse, and any text can be scrubbed of known secrets.
 */

const MASK = '***';
const SECRET_PARAMS = /([?&](?:password|pass|pwd|sslpassword|sslkey|token|secret|api_key)=)[^&#\s]*/gi;

/** The URL with its password (and any password-like query parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  let out = url;
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = MASK;
      // URL re-encodes the mask; keep it readable.
      out = parsed.toString().replace(encodeURIComponent(MASK), MASK);
    }
  } catch {
    // Not a URL we can parse: mask anything between "scheme://user:" and the last "@".
  }
  out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)(.*)@/i, (_m, head: string, pass: string) =>
    pass === MASK ? `${head}${MASK}@` : `${head}${MASK}@`,
  );
  return out.replace(SECRET_PARAMS, `$1${MASK}`);
}

/** The secrets inside a connection URL (password and password-like parameters), for {@link scrub}. */
export function secretsOf(url: string): string[] {
  const secrets = new Set<string>();
  const raw = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:(.*)@/i.exec(url)?.[1];
  if (raw) {
    secrets.add(raw);
    try {
      secrets.add(decodeURIComponent(raw));
    } catch {
      // keep the raw form only
    }
  }
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      secrets.add(parsed.password);
      secrets.add(decodeURIComponent(parsed.password));
    }
    for (const [key, value] of parsed.searchParams) {
      if (/^(password|pass|pwd|sslpassword|token|secret|api_key)$/i.test(key) && value) secrets.add(value);
    }
  } catch {
    // unparseable: the regex above already took what it could
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
