import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { MFA_ACR } from '../policy/authentication-context.ts';

/** the reason our check gives when an application asks for the mfa acr the session lacks */
export const ACR_STEP_UP_REASON = 'acr_mfa_required';

/**
 * oidc-provider enforces only essential acr claims and max_age by itself; plain
 * `acr_values=urn:latchkey:acr:mfa` is a voluntary claim to it. This check makes the login
 * prompt come back whenever the session's acr is not the mfa one an application asked for.
 */
export function interactionPolicyWithStepUp() {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.add(new interactionPolicy.Check(ACR_STEP_UP_REASON, 'a second factor is required', 'login_required', (ctx: KoaContextWithOIDC) => {
    const requested = String(ctx.oidc.params?.acr_values ?? '').split(' ');
    if (!requested.includes(MFA_ACR)) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    return ctx.oidc.acr === MFA_ACR ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
  }));
  return policy;
}
