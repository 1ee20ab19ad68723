import type { Account, FindAccount } from 'oidc-provider';
import type { UserService } from '../accounts/users.ts';
import { matchLocale } from '../lib/locale-match.ts';
import { validTimeZone } from '../lib/date-format.ts';

/**
 * Claims by scope. findAccount returns nothing for a missing or deactivated user, so
 * refresh and userinfo fail for them at once.
 */
export function createFindAccount(users: UserService): FindAccount {
  return async (ctx, sub): Promise<Account | undefined> => {
    // the redirect that ends a sign-in may use the user its password step just read; token,
    // refresh and userinfo always read afresh, so a deactivation stops them at once
    const user = ctx.oidc?.route === 'resume' ? await users.findRecent(sub) : await users.findById(sub);
    if (user?.status !== 'active') return undefined;
    return {
      accountId: user.id,
      async claims(_use, scope) {
        const scopes = new Set(scope.split(' '));
        const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
        // the user's own settings, only when set: "automatic" is no claim
        const locale = matchLocale(user.locale);
        const zoneinfo = validTimeZone(user.timeZone);
        return {
          sub: user.id,
          ...(scopes.has('email') ? { email: user.email, email_verified: user.emailVerified } : {}),
          ...(scopes.has('profile')
            ? {
                ...(name ? { name } : {}),
                ...(user.firstName ? { given_name: user.firstName } : {}),
                ...(user.lastName ? { family_name: user.lastName } : {}),
                ...(locale ? { locale } : {}),
                ...(zoneinfo ? { zoneinfo } : {}),
              }
            : {}),
        };
      },
    };
  };
}
