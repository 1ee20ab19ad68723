import type { ConsoleDeps, SignedIn } from './context.ts';
import { ADMIN_ROLES } from '../admin/scopes.ts';

/** the validities a new token may have, in days */
export const TOKEN_EXPIRY_DAYS = [7, 30, 90, 180, 365] as const;

/** owners and admins hold personal tokens for the admin API; members do not */
export const mayHoldTokens = (who: SignedIn) => ADMIN_ROLES.includes(who.user.role);

/** the user's tokens as the security page lists them */
export async function tokenEntries(deps: ConsoleDeps, who: SignedIn) {
  if (!mayHoldTokens(who)) return [];
  return (await deps.apiTokens.list(who.user.id)).map((token) => ({
    id: token.id,
    name: token.name,
    scopes: token.scopes.join(', '),
    status: token.status,
    active: token.status === 'active',
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? '',
  }));
}
