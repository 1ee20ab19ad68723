import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { acrSatisfied, stepUpReasons, stepUpRequestOf } from '../policy/authentication-context.ts';
import type { UserService } from '../accounts/users.ts';
import type { TenantService } from '../accounts/tenants.ts';

/** the reason our check gives when an application asks for the mfa acr the session lacks */
export const ACR_STEP_UP_REASON = 'acr_mfa_required';

/** the reason our check gives when the session's user may not use this application */
export const TENANT_MISMATCH_REASON = 'tenant_mismatch';

/**
 * The interaction policy: oidc-provider's, plus two checks on the login prompt.
 * - A session only serves applications of its user's tenant (or of that tenant's reseller):
 *   a browser signed in at tenant A must sign in again, as a user of B, for B's application.
 * - Step-up: oidc-provider enforces only essential acr claims and max_age by itself; plain
 *   `acr_values=urn:latchkey:acr:mfa` is a voluntary claim to it. This check makes the login
 *   prompt come back whenever the session's acr does not satisfy the request (acrSatisfied).
 */
export function latchkeyInteractionPolicy(deps: { users: Pick<UserService, 'findRecent'>; tenants: Pick<TenantService, 'findById'> }) {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.add(
    new interactionPolicy.Check(
      TENANT_MISMATCH_REASON,
      "the signed-in user does not belong to this application's tenant",
      'login_required',
      async (ctx: KoaContextWithOIDC) => {
        const accountId = ctx.oidc.session?.accountId;
        const clientTenant = (ctx.oidc.client as unknown as { tenant_id?: string } | undefined)?.tenant_id;
        if (!accountId || !clientTenant) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        // a user's tenant never changes, so the password step's recent read serves the resume
        const user = await deps.users.findRecent(accountId);
        if (!user) return interactionPolicy.Check.REQUEST_PROMPT;
        if (user.tenantId === clientTenant) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        const own = await deps.tenants.findById(user.tenantId);
        return own?.parentId === clientTenant ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );
  login.checks.add(
    new interactionPolicy.Check(ACR_STEP_UP_REASON, 'a second factor is required', 'login_required', async (ctx: KoaContextWithOIDC) => {
      // the step-up rule is src/policy's: a request for a level is satisfied only by a session at it or above
      const request = stepUpRequestOf((ctx.oidc.params ?? {}) as Record<string, unknown>);
      // only a request for the phishing-resistant level needs to know whether the user's tenant offers passkeys
      const passkeysOffered = stepUpReasons(request).includes('step-up-phr') ? await offersPasskeys(ctx.oidc.session?.accountId) : true;
      return acrSatisfied(ctx.oidc.acr, request, { passkeysOffered }) ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;

  /** the tenant whose policy the session's user signs in under offers passkeys */
  async function offersPasskeys(accountId: string | undefined): Promise<boolean> {
    const user = accountId ? await deps.users.findRecent(accountId) : undefined;
    const tenant = user ? await deps.tenants.findById(user.tenantId) : undefined;
    return tenant?.policy.mfa.factors.includes('passkey') ?? true;
  }
}
