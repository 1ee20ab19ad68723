import type { Logger } from '../lib/logger.ts';
import type { Regional } from '../lib/date-format.ts';

/**
 * What the app's middleware puts on `ctx.state` for everything after it, typed once here so no
 * handler casts it: the request's id and logger (request-context), the client IP (client-ip),
 * the page language and regional formats (locale), and, during a sign-in, whose it is.
 */
export interface RequestState {
  requestId: string;
  log: Logger;
  /** from TRUST_PROXY's rules, or 'unreadable' (src/http/client-ip.ts) */
  clientIp: string;
  /** the language pages and messages speak */
  locale: string;
  /** how dates and times are shown to the signed-in user */
  regional: Regional;
  /** the tenant and application of the request, for logs and metrics, once known */
  tenantId?: string;
  clientId?: string;
  /** the one image origin the page's CSP admits besides its own (a tenant's logo) */
  imageOrigin?: string;
  /** whose sign-in an error page belongs to */
  brand?: { tenantName: string; tenantLogoUrl: string | null };
}

declare module 'koa' {
  // every ctx.state in the app has these fields
  interface DefaultState extends RequestState {}
}
