import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { SECURITY_PATH, audit, formField, translator } from './context.ts';
import { findSignedIn } from './signed-in.ts';
import { renderOrganisationForm, startSignIn, type FinishUnlock } from './sign-in-flow.ts';
import { renderUnlock, unlockOptions } from './unlock.ts';
import { decideReauthentication } from '../policy/reauthentication.ts';
import { epochSeconds } from '../lib/clock.ts';

/**
 * "Confirm it's you with <provider>": how a user without a local password opens the security
 * section. The console's own sign-in runs again with prompt=login and max_age=0 (so the hosted
 * login, and through it the upstream, authenticates the person now) and provider_hint (straight
 * to that provider). What the callback must find is kept server-side under the request's state,
 * used once: the user, the provider session (uid and id) and when it was asked.
 */
export async function startReauthentication(deps: ConsoleDeps, ctx: Context, who: SignedIn) {
  const t = translator(deps, ctx);
  const choice = formField(ctx, 'provider', 64);
  const options = await unlockOptions(deps, who);
  const provider = options.method === 'upstream' ? options.providers.find((p) => p.id === choice) : undefined;
  if (!provider) {
    ctx.status = 400;
    return renderUnlock(deps, ctx, who, { error: t(options.method === 'password' ? 'account.unlock.passwordFirst' : 'account.unlock.chooseProvider') });
  }
  const state = startSignIn(deps, ctx, who.tenant, 'unlock', { prompt: 'login', max_age: '0', provider_hint: provider.id, login_hint: who.user.email });
  await deps.unlocks.request(state, {
    userId: who.user.id,
    sessionUid: who.sessionUid,
    sessionId: who.sessionId,
    requestedAt: epochSeconds(deps.clock),
    providerId: provider.id,
  });
}

/**
 * The console's callback for a re-authentication (its state already matched this browser's
 * cookie): the request is used up, and the section opens only for the same user in the same
 * provider session after an authentication made since the request. Audited either way.
 */
export function finishReauthentication(deps: ConsoleDeps): FinishUnlock {
  return async (ctx, state, outcome) => {
    const request = await deps.unlocks.takeRequest(state);
    const who = await findSignedIn(deps, ctx);
    if (!who) {
      ctx.status = 401;
      return renderOrganisationForm(deps, ctx, { page: 'account-signed-out', returnTo: 'security' });
    }
    const decision = !request
      ? { unlock: false as const, reason: 'expired' }
      : outcome !== 'code'
        ? { unlock: false as const, reason: outcome }
        : decideReauthentication(request, { userId: who.user.id, sessionUid: who.sessionUid, sessionId: who.sessionId, authTime: who.authTime });
    const provider = request?.providerId;
    if (!decision.unlock) {
      ctx.state.log.info({ tenantId: who.tenant.id, reason: decision.reason }, 'security unlock refused');
      await audit(deps, ctx, who, 'security.unlock_refused', { method: 'upstream', reason: decision.reason, ...(provider ? { providerId: provider } : {}) });
      ctx.status = outcome === 'cancelled' ? 400 : 401;
      const key = outcome === 'cancelled' ? 'account.unlock.upstreamCancelled' : 'account.unlock.upstreamFailed';
      return renderUnlock(deps, ctx, who, { error: translator(deps, ctx)(key) });
    }
    await deps.unlocks.open(who.sessionId, who.user.id);
    await audit(deps, ctx, who, 'security.unlocked', { method: 'upstream', providerId: provider });
    ctx.status = 303;
    ctx.redirect(SECURITY_PATH);
  };
}
