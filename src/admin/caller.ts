import type { Context } from 'koa';
import type { ApiTokenService } from './api-tokens.ts';
import type { AccessTokenVerifier } from './access-tokens.ts';
import type { UserService } from '../accounts/users.ts';
import type { ClientService } from '../accounts/clients.ts';
import { AppError } from '../lib/errors.ts';
import { ADMIN_ROLES, scopeAllows, type AdminScope } from './scopes.ts';
import { TOKEN_PREFIX } from './token-secret.ts';
import { insufficientScope, unauthorized } from './errors.ts';

/** who is calling the admin API, and with what rights */
export interface Caller {
  userId: string;
  tenantId: string;
  /** owner or admin */
  role: string;
  scopes: string[];
  via: 'api_token' | 'oauth';
  /** the API token's id (api_token only) */
  tokenId?: string;
  /** for the audit trail: `token:<tokenId>` for API tokens, `admin:<userId>` for OAuth access tokens */
  actor: string;
}

export interface CallerDeps {
  apiTokens: Pick<ApiTokenService, 'authenticate'>;
  accessTokens: AccessTokenVerifier;
  users: Pick<UserService, 'findById'>;
  clients: Pick<ClientService, 'find'>;
}

const INVALID = 'The bearer token is not valid, has expired or was revoked';

/**
 * `Authorization: Bearer lk_...` (an API token) or a JWT access token from Latchkey for the admin
 * API's audience. Either way the user behind it must be an active owner or admin now: a
 * deactivated user's tokens stop working on the next call.
 */
export async function identifyCaller(ctx: Context, deps: CallerDeps): Promise<Caller> {
  const header = ctx.get('authorization');
  const match = /^Bearer ([\x21-\x7e]{1,8192})$/i.exec(header);
  if (!match) throw unauthorized('auth.required', 'Send an API token or an access token as Authorization: Bearer <token>');
  const token = match[1]!;
  if (token.startsWith(TOKEN_PREFIX)) {
    const holder = await deps.apiTokens.authenticate(token);
    if (!holder) throw unauthorized('auth.invalid_token', INVALID);
    requireAdminRole(holder.role);
    return {
      userId: holder.userId,
      tenantId: holder.tenantId,
      role: holder.role,
      scopes: holder.scopes,
      via: 'api_token',
      tokenId: holder.tokenId,
      actor: `token:${holder.tokenId}`,
    };
  }
  const claims = await deps.accessTokens.verify(token);
  const user = claims && /^[0-9a-f-]{36}$/.test(claims.userId) ? await deps.users.findById(claims.userId) : undefined;
  if (!claims || !user || user.status !== 'active') throw unauthorized('auth.invalid_token', INVALID);
  // a token obtained through another tenant's application does not speak for this tenant's admin
  const client = await deps.clients.find(claims.clientId);
  if (!client || client.tenantId !== user.tenantId) throw unauthorized('auth.invalid_token', INVALID);
  requireAdminRole(user.role);
  return { userId: user.id, tenantId: user.tenantId, role: user.role, scopes: claims.scopes, via: 'oauth', actor: `admin:${user.id}` };
}

export function requireScope(caller: Caller, scope: AdminScope): void {
  if (!scopeAllows(caller.scopes, scope)) throw insufficientScope(scope);
}

function requireAdminRole(role: string): void {
  if (!ADMIN_ROLES.includes(role)) throw new AppError(403, 'auth.not_admin', 'Only owners and admins may use the admin API');
}

/** who and from where, for the audit events the admin API writes itself */
export function auditBy(ctx: Context, caller: Caller): { actor: string; ip: string; userAgent?: string } {
  const userAgent = ctx.get('user-agent');
  return { actor: caller.actor, ip: ctx.ip, ...(userAgent ? { userAgent } : {}) };
}
