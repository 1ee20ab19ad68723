/**
 * What may leave the process about a request or a query, without the secrets they can carry:
 * reset, invitation and email-change links hold their token in the URL path, query strings
 * hold login hints and state, and MikroORM writes values (emails, hashes, sealed secrets,
 * mail bodies) into its SQL.
 */

/** a segment of 32+ characters, or of 16+ with a digit or a capital letter, is an id or a token, not a route word */
export function redactPath(path: string): string {
  return path
    .split('/')
    .map((segment) => (segment.length >= 32 || (segment.length >= 16 && /[0-9A-Z]/.test(segment)) ? ':id' : segment))
    .join('/');
}

/** the parameter names of a query string, every value replaced */
export function redactQuery(query: string): string {
  return [...new URLSearchParams(query).keys()].map((name) => `${encodeURIComponent(name)}=REDACTED`).join('&');
}

// a PostgreSQL string literal: '' is a quote inside it; E'…' strings escape with backslashes
const SQL_STRING = /'(?:[^'\\]|''|\\.)*'/g;

/** SQL with every string literal replaced by ?; anything after an unterminated quote is dropped */
export function redactSql(text: string): string {
  const out = text.replace(SQL_STRING, '?');
  const stray = out.indexOf("'");
  return stray === -1 ? out : `${out.slice(0, stray)}…`;
}
