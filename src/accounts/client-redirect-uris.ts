import { z } from 'zod';

/** web: a site with a back end or a single-page app; native: an app on a phone or a desktop (RFC 8252) */
export const APPLICATION_TYPES = ['web', 'native'] as const;
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

/**
 * The loopback interface a native app listens on for its redirect (RFC 8252 §7.3). oidc-provider
 * matches a native client's loopback redirect URI on any port, since the app takes whichever port
 * is free when it starts.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** a reverse domain name scheme (RFC 8252 §7.1), such as com.example.app: */
const REVERSE_DNS_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/i;

/** an absolute URL without fragment or credentials; which schemes an application may use is redirectUriProblem's */
export const redirectUri = z
  .string()
  .trim()
  .max(2000)
  .refine(
    (v) => {
      const url = URL.parse(v);
      return !!url && !url.hash && !v.includes('#') && !url.username && !url.password && !['javascript:', 'data:', 'file:'].includes(url.protocol);
    },
    { message: 'must be an absolute URL without fragment or credentials' },
  );

/**
 * Why an application of this type cannot use this redirect (or post-logout redirect) URI, or
 * undefined: a web application redirects to http(s); a native one to the loopback interface over
 * http, to an https URL it claims, or to a private-use reverse domain name scheme (RFC 8252 §7).
 */
export function redirectUriProblem(uri: string, type: ApplicationType): string | undefined {
  const url = URL.parse(uri);
  if (!url) return 'must be an absolute URL';
  if (type === 'web') {
    return url.protocol === 'https:' || url.protocol === 'http:'
      ? undefined
      : 'must be an http or https URL for a web application (a private-use scheme such as com.example.app:/callback is for a native application)';
  }
  if (url.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? undefined
      : 'of a native application uses http only on the loopback interface (http://127.0.0.1/... or http://[::1]/...)';
  }
  if (url.protocol === 'https:') {
    return LOOPBACK_HOSTS.has(url.hostname) ? 'of a native application uses http, not https, on the loopback interface' : undefined;
  }
  return REVERSE_DNS_SCHEME.test(url.protocol)
    ? undefined
    : 'of a native application uses a private-use scheme named after a domain in reverse order, such as com.example.app:/callback';
}
