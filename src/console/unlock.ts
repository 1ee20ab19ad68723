import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { SECURITY_PATH, audit, renderPage, translator } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { renderSecurity } from './security-page.ts';
import { unlockMethod } from '../policy/reauthentication.ts';
import { readForm } from '../http/form.ts';
import { unlockForm } from './forms.ts';

/** how this user opens the section: the password, or a sign-in again at one of the linked identities' providers */
export type UnlockOptions = { method: 'password' } | { method: 'upstream'; providers: { id: string; label: string }[] } | { method: 'none' };

export async function unlockOptions(deps: ConsoleDeps, who: SignedIn): Promise<UnlockOptions> {
  const [hasPassword, identities] = await Promise.all([
    deps.federation.identities.hasPassword(who.user.id),
    deps.federation.identities.listForUser(who.user.id),
  ]);
  const method = unlockMethod({ hasPassword, linkedIdentities: identities.length });
  if (method !== 'upstream') return { method };
  // one button per provider, even when two identities there are linked
  const providers = new Map(identities.map((i) => [i.providerId, { id: i.providerId, label: i.providerLabel }]));
  return { method, providers: [...providers.values()] };
}

/**
 * The page that opens the security section: the password form (the email is known, so only the
 * password is asked), or for a user without a password "Confirm it's you with <provider>".
 */
export async function renderUnlock(deps: ConsoleDeps, ctx: Context, who: SignedIn, options: { error?: string; notice?: string; again?: boolean } = {}) {
  const t = translator(deps, ctx);
  const how = await unlockOptions(deps, who);
  const upstream = how.method !== 'password';
  const notice = options.again ? t(upstream ? 'account.unlock.upstreamAgain' : 'account.unlock.again') : options.notice;
  renderPage(deps, ctx, who, 'account-unlock', {
    title: t(upstream ? 'account.unlock.upstreamTitle' : 'account.unlock.title'),
    email: who.user.email,
    action: `${SECURITY_PATH}/unlock`,
    minutes: Math.round(deps.unlocks.seconds / 60),
    password: how.method === 'password',
    noMethod: how.method === 'none',
    providers: how.method === 'upstream' ? how.providers.map((p) => ({ id: p.id, text: t('account.unlock.upstreamButton', { provider: p.label }) })) : [],
    providerAction: `${SECURITY_PATH}/reauthenticate`,
    ...(options.error ? { error: options.error } : {}),
    ...(notice ? { notice } : {}),
  });
}

/**
 * The password again, through the sign-in guard so the tenant's lockout counts it like a
 * sign-in (shared counters, lock email). Every failure gets one message.
 */
export async function submitUnlock(deps: ConsoleDeps, ctx: Context, who: SignedIn) {
  const { password } = readForm(ctx, unlockForm);
  const t = translator(deps, ctx);
  if (!password) {
    ctx.status = 400;
    return renderUnlock(deps, ctx, who, { error: t('account.unlock.missing') });
  }
  const outcome = await deps.guard.attempt(who.tenant, who.user.email, password, requestFacts(ctx));
  if (!outcome.ok || outcome.user.id !== who.user.id) {
    ctx.state.log.info({ tenantId: who.tenant.id, reason: outcome.ok ? 'other-user' : outcome.reason }, 'security unlock refused');
    await audit(deps, ctx, who, 'security.unlock_refused', { method: 'password', reason: outcome.ok ? 'other-user' : 'password' });
    ctx.status = 401;
    return renderUnlock(deps, ctx, who, { error: t('account.unlock.failed') });
  }
  await deps.unlocks.open(who.sessionId, who.user.id);
  await audit(deps, ctx, who, 'security.unlocked', { method: 'password' });
  return renderSecurity(deps, ctx, who);
}

/** "Done": closes the section before its window ends */
export async function lockSection(deps: ConsoleDeps, ctx: Context, who: SignedIn) {
  await deps.unlocks.close(who.sessionId);
  return renderUnlock(deps, ctx, who, { notice: translator(deps, ctx)('account.unlock.closed') });
}
