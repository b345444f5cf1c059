import { maskConnectionText, parseConnectionText } from './conninfo';

/**
 * Keeping secrets out of output. A connection text is shown with its secrets masked where
 * they stand (`postgresql://user:***@host/db`, `host=db password=***`), by its structure:
 * see {@link maskConnectionText}.
 */

const SECRET_KEYS = /^(password|pass|pwd|sslpassword|token|secret|api_key)$/i;

/** The URL (or keyword string) with its password and password-like parameters replaced by `***`. */
export function redactUrl(url: string): string {
  return maskConnectionText(url);
}

/** The secrets inside a connection text (password and password-like parameters), for {@link scrub}. */
export function secretsOf(url: string): string[] {
  let parsed;
  try {
    parsed = parseConnectionText(url);
  } catch {
    return [];
  }
  const secrets = new Set<string>();
  for (const p of parsed?.params ?? []) {
    if (!SECRET_KEYS.test(p.key) || p.value === '') continue;
    secrets.add(p.value);
    // The form as written, too (percent-encoded in a URL).
    const raw = url.trim().slice(p.span[0], p.span[1]);
    if (raw !== '') secrets.add(raw);
  }
  return [...secrets];
}

/** Replaces every occurrence of each secret in `text` with `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 0) out = out.split(secret).join('***');
  }
  return out;
}
