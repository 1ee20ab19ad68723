import type { Context } from 'koa';

/** where a request came from, as the audit log, the lockout guard and the session list record it */
export interface RequestFacts {
  /** the client IP derived from TRUST_PROXY (clientIpMiddleware), else the socket's */
  ip: string;
  /** the User-Agent header, cut to 512 characters */
  userAgent?: string;
}

export function requestFacts(ctx: Context): RequestFacts {
  const ua = ctx.get('user-agent');
  return { ip: String(ctx.state.clientIp ?? ctx.ip), ...(ua ? { userAgent: ua.slice(0, 512) } : {}) };
}
