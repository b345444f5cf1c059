/**
 * Connection texts as people write them, split by their structure: URLs
 * (`scheme://user:password@host:port/db?k=v`, with a password percent-encoded or raw where
 * that is unambiguous) and libpq's `keyword=value` strings (`host=db user=app
 * password='a b'`). Each parameter keeps where its value lies in the text, so a secret can
 * be masked where it is, never by searching the output for the password's characters
 * (which breaks any output when the password is a common word: `table`, `e`, `postgres`).
 * No driver and no semantics here: what a parameter means is the adapter's business.
 */

/** Parameter names whose values are secrets, in URLs' queries and keyword strings. */
const SECRET_KEYS = /^(password|pass|pwd|sslpassword|token|secret|api_key)$/i;
const MASK = '***';

export interface ConnectionParam {
  /** As written (URL query names as given; the authority's parts as `user`, `password`, `host`, `port`, `dbname`). */
  key: string;
  /** Decoded: percent-decoding for URLs, quotes and backslashes for keyword strings. */
  value: string;
  /** Where the value lies in the text: `[start, end)`. */
  span: [number, number];
}

export interface ParsedConnection {
  kind: 'url' | 'keywords';
  /** `postgresql`, `mysql`, … for URLs. */
  scheme?: string;
  /** In the order written; a later one of the same key wins. */
  params: ConnectionParam[];
  /** The text from the host on, without user and password (URLs only). */
  rest?: string;
  /** What makes the text malformed, when something does (parts named, values never shown). The params are still given, for masking. */
  problems: string[];
}

const URL_HEAD = /^([a-z][a-z0-9+.-]*):\/\//i;
/**
 * What follows the userinfo's `@`: one host (a name, an address, a bracketed IPv6 address),
 * an optional port, then the end, a path, a query or a fragment.
 */
const AFTER_AT = /^(?:\[[0-9a-f:.]*(?:%[^\]]*)?\]|[^/?#@[\]\s:]*)(?::\d*)?(?=[/?#]|$)/i;

const QUERY = /^(?:[^=&#]+=[^&#]*(?:&[^=&#]+=[^&#]*)*)?(?:#[^@]*)?$/;

/** True when the text is a URL with `scheme://`. */
export function isUrlText(text: string): boolean {
  return URL_HEAD.test(text.trim());
}

/** True when the text is a libpq `keyword=value` string (it starts with `keyword =`). */
export function isKeywordText(text: string): boolean {
  return !isUrlText(text) && /^\s*[a-z_][a-z0-9_]*\s*=/i.test(text);
}

/**
 * Percent-decoding when the text is percent-encoded; the text as it is when it is plainly
 * raw (a bare `%` and no `%XX`). Both at once, or `%XX` that is not UTF-8, is a malformed
 * encoding: `problems` says so, naming the part, never its value.
 */
function decoder(problems: string[]) {
  return (text: string, part: string): string => {
    const bare = /%(?![0-9a-f]{2})/i.test(text);
    const encoded = /%[0-9a-f]{2}/i.test(text);
    if (!encoded) return text;
    if (bare) {
      problems.push(`the ${part} has a malformed percent-encoding`);
      return text;
    }
    try {
      return decodeURIComponent(text);
    } catch {
      problems.push(`the ${part} has a malformed percent-encoding`);
      return text;
    }
  };
}

/**
 * The `@` that ends the userinfo: the first one followed by a plausible host and a path
 * without another `@` (so a password may hold `@`, `#`, `?`, `/` and `:` as typed:
 * `app:Tr0ub4dor@Horse#Battery9@host/db` is user `app` at `host`). The query may hold `@`.
 */
function userinfoEnd(afterScheme: string): number | undefined {
  // A URL whose only `@`s are in its query has no userinfo (`…/db?application_name=me@home`).
  const query = afterScheme.indexOf('?');
  const head = afterScheme.search(/[/?#]/);
  const firstAt = afterScheme.indexOf('@');
  if (query >= 0 && firstAt > query && QUERY.test(afterScheme.slice(query + 1)) && /^(?:\[[0-9a-f:.]*\]|[^/?#@[\]\s:]+)(?::\d+)?$/i.test(afterScheme.slice(0, head))) return undefined;
  // An empty host (`u:p@/db`, a socket given in the query) only when no `@` is followed by a named one.
  let emptyHost: number | undefined;
  for (let at = afterScheme.indexOf('@'); at >= 0; at = afterScheme.indexOf('@', at + 1)) {
    const rest = afterScheme.slice(at + 1);
    const host = AFTER_AT.exec(rest);
    if (!host) continue;
    const query = rest.indexOf('?', host[0].length);
    const path = query < 0 ? rest.slice(host[0].length) : rest.slice(host[0].length, query);
    // A query is key=value pairs: `?a@db…` after a candidate means the `?` was the password's.
    if (path.includes('@') || (query >= 0 && !QUERY.test(rest.slice(query + 1)))) continue;
    if (host[0] !== '' && !host[0].startsWith(':')) return at;
    emptyHost ??= at;
  }
  return emptyHost;
}

/** No plausible host after any `@`: the last `@` before a query ends the userinfo, so a password is never taken for a host. */
function lastAtBeforeQuery(afterScheme: string): number | undefined {
  const query = afterScheme.indexOf('?');
  const at = (query < 0 ? afterScheme : afterScheme.slice(0, query)).lastIndexOf('@');
  return at < 0 ? undefined : at;
}

function parseUrl(text: string): ParsedConnection {
  const head = URL_HEAD.exec(text)!;
  const start = head[0].length;
  const params: ConnectionParam[] = [];
  const problems: string[] = [];
  const decodeIfEncoded = decoder(problems);
  const after = text.slice(start);
  const at = userinfoEnd(after) ?? lastAtBeforeQuery(after);
  let restStart = start;
  if (at !== undefined) {
    const userinfo = after.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (user !== '') params.push({ key: 'user', value: decodeIfEncoded(user, 'user name'), span: [start, start + user.length] });
    if (colon >= 0) {
      params.push({ key: 'password', value: decodeIfEncoded(userinfo.slice(colon + 1), 'password'), span: [start + colon + 1, start + at] });
    }
    restStart = start + at + 1;
  }
  const rest = text.slice(restStart);
  const matched = AFTER_AT.exec(rest);
  if (!matched) problems.push(/^[^/?#]*\s/.test(rest) ? 'the host has a space in it' : 'the host or port is not valid');
  const host = matched?.[0] ?? '';
  const port = /:(\d*)$/.exec(host);
  const hostName = port ? host.slice(0, host.length - port[0].length) : host;
  if (hostName !== '') params.push({ key: 'host', value: decodeIfEncoded(hostName.replace(/^\[|\]$/g, ''), 'host'), span: [restStart, restStart + hostName.length] });
  if (port && port[1] !== '') params.push({ key: 'port', value: port[1]!, span: [restStart + hostName.length + 1, restStart + host.length] });
  const tail = rest.slice(host.length);
  const queryAt = tail.indexOf('?');
  const pathEnd = queryAt < 0 ? tail.length : queryAt;
  const fragment = tail.indexOf('#');
  const path = tail.slice(0, fragment >= 0 && fragment < pathEnd ? fragment : pathEnd);
  if (path.length > 1) {
    const from = restStart + host.length + 1;
    params.push({ key: 'dbname', value: decodeIfEncoded(path.slice(1), 'database name'), span: [from, from + path.length - 1] });
  }
  if (queryAt >= 0) {
    let offset = restStart + host.length + queryAt + 1;
    const query = tail.slice(queryAt + 1);
    const hash = query.indexOf('#');
    for (const pair of (hash < 0 ? query : query.slice(0, hash)).split('&')) {
      const eq = pair.indexOf('=');
      if (pair !== '' && eq !== 0) {
        const key = decodeIfEncoded((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '), 'query');
        const raw = eq < 0 ? '' : pair.slice(eq + 1);
        const valueStart = eq < 0 ? offset + pair.length : offset + eq + 1;
        params.push({ key, value: decodeIfEncoded(raw.replace(/\+/g, ' '), `value of "${key}"`), span: [valueStart, valueStart + raw.length] });
      }
      offset += pair.length + 1;
    }
  }
  return { kind: 'url', scheme: head[1]!.toLowerCase(), params, rest, problems };
}

/** libpq's rules: `key = value`, values quoted with `'` where they hold spaces, `\\` escapes. */
function parseKeywords(text: string): ParsedConnection {
  const params: ConnectionParam[] = [];
  const problems: string[] = [];
  let i = 0;
  const space = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (space(); i < text.length && problems.length === 0; space()) {
    const keyStart = i;
    while (i < text.length && text[i] !== '=' && !/\s/.test(text[i]!)) i++;
    const key = text.slice(keyStart, i);
    space();
    if (text[i] !== '=') {
      problems.push(`"${key}" has no value (expected ${key}=...)`);
      break;
    }
    i++;
    space();
    const valueStart = i;
    let value = '';
    if (text[i] === "'") {
      i++;
      for (;;) {
        if (i >= text.length) {
          problems.push(`the value of "${key}" has no closing quote`);
          break;
        }
        const c = text[i++]!;
        if (c === "'") break;
        value += c === '\\' && i < text.length ? text[i++] : c;
      }
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) {
        const c = text[i++]!;
        value += c === '\\' && i < text.length ? text[i++] : c;
      }
    }
    params.push({ key, value, span: [valueStart, i] });
  }
  return { kind: 'keywords', params, problems };
}

/** Splits a URL or a keyword string; undefined for anything else (a file path). */
export function parseConnectionText(text: string): ParsedConnection | undefined {
  if (isUrlText(text)) return parseUrl(text.trim());
  if (isKeywordText(text)) return parseKeywords(text);
  return undefined;
}

/** The last value given for `key` (keys compared without case). */
export function paramValue(parsed: ParsedConnection, key: string): string | undefined {
  const lower = key.toLowerCase();
  for (let i = parsed.params.length - 1; i >= 0; i--) if (parsed.params[i]!.key.toLowerCase() === lower) return parsed.params[i]!.value;
  return undefined;
}

/**
 * The text with every secret value replaced by `***` where it stands: the URL's password,
 * `password=` (and the like) in a query or a keyword string. Anything else is returned as it
 * is. A malformed text is masked as far as it was read: a secret whose value runs to the end
 * (an unclosed quote) is masked to the end.
 */
export function maskConnectionText(text: string): string {
  const parsed = parseConnectionText(text);
  if (!parsed) return text;
  const spans = parsed.params.filter((p) => SECRET_KEYS.test(p.key) && p.span[1] > p.span[0]).map((p) => p.span);
  let out = parsed.kind === 'url' ? text.trim() : text;
  for (const [start, end] of spans.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + MASK + out.slice(end);
  return out;
}

/** A URL inside free text: a scheme, `://`, then everything up to white space (a raw password may hold quotes). */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;
/** A secret keyword pair inside free text: `password=value`, `password='a b'`. */
const SECRET_PAIR_IN_TEXT = /\b(password|pass|pwd|sslpassword|token|secret|api_key)(\s*=\s*)('(?:\\.|[^'\\])*'?|[^\s'&,;)]+)/gi;

/**
 * Free text (a driver's message, a stack trace) with the secrets of every connection text in it
 * masked by the same structure as {@link maskConnectionText}: the password of each URL, each
 * `password=` value. Nothing else is touched, whatever the password is: the text is never
 * searched for the password's characters.
 */
export function maskConnectionTextsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => maskConnectionText(url)).replace(SECRET_PAIR_IN_TEXT, (_all, key: string, eq: string) => `${key}${eq}${MASK}`);
}
