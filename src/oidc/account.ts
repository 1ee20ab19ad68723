import type { Account, FindAccount } from 'oidc-provider';
import type { UserService, User } from '../accounts/users.ts';
import type { TenantService } from '../accounts/tenants.ts';
import { matchLocale } from '../lib/locale-match.ts';
import { validTimeZone } from '../lib/date-format.ts';
import { claimsOfScopes, releasedClaims, type ClaimRequest } from '../policy/claims.ts';

/**
 * The user's claims for an ID token or userinfo: those of the granted scopes plus those the
 * `claims` parameter asked for this use (oidc-provider hands over only the granted ones, and
 * masks the result once more), by the rules of src/policy/claims.ts. findAccount returns
 * nothing for a missing or deactivated user, so refresh and userinfo fail for them at once.
 */
export function createFindAccount(users: UserService, tenants: Pick<TenantService, 'findById'>): FindAccount {
  return async (ctx, sub): Promise<Account | undefined> => {
    // the redirect that ends a sign-in may use the user its password step just read; token,
    // refresh and userinfo always read afresh, so a deactivation stops them at once
    const user = ctx.oidc?.route === 'resume' ? await users.findRecent(sub) : await users.findById(sub);
    if (user?.status !== 'active') return undefined;
    return {
      accountId: user.id,
      async claims(_use, scope, requested) {
        const wanted = claimsOfScopes(scope.split(' '));
        for (const claim of Object.keys(requested ?? {})) wanted.add(claim);
        // the tenant's name is one more read: only when asked
        const tenantName = wanted.has('tenant_name') ? (await tenants.findById(user.tenantId))?.name : undefined;
        const released = releasedClaims(userClaims(user, tenantName), scope, (requested ?? {}) as Record<string, ClaimRequest>);
        return { ...released, sub: user.id };
      },
    };
  };
}

/** every claim the user has; absent settings are no claim ("automatic" is not a locale) */
function userClaims(user: User, tenantName: string | undefined): Record<string, unknown> {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return {
    sub: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    name: name || undefined,
    given_name: user.firstName || undefined,
    family_name: user.lastName || undefined,
    locale: matchLocale(user.locale),
    zoneinfo: validTimeZone(user.timeZone),
    tenant_id: user.tenantId,
    tenant_name: tenantName,
    role: user.role,
  };
}
