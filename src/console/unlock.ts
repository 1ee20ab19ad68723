import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { SECURITY_PATH, renderPage, requestFacts, translator } from './context.ts';
import { renderSecurity } from './overview.ts';

const MAX_PASSWORD_INPUT = 1024;

/** the password form that opens the security section; the email is known, so only the password is asked */
export function renderUnlock(deps: ConsoleDeps, ctx: Context, who: SignedIn, options: { error?: string; notice?: string } = {}) {
  const t = translator(deps, ctx);
  renderPage(deps, ctx, who, 'account-unlock', {
    title: t('account.unlock.title'), email: who.user.email, action: `${SECURITY_PATH}/unlock`,
    minutes: Math.round(deps.unlocks.seconds / 60),
    ...(options.error ? { error: options.error } : {}), ...(options.notice ? { notice: options.notice } : {}),
  });
}

/**
 * The password again, through the sign-in guard so the tenant's lockout counts it like a
 * sign-in (shared counters, lock email). Every failure gets one message.
 */
export async function submitUnlock(deps: ConsoleDeps, ctx: Context, who: SignedIn) {
  const body = ctx.request.body as Record<string, unknown>;
  const password = typeof body.password === 'string' ? body.password : '';
  const t = translator(deps, ctx);
  if (!password || password.length > MAX_PASSWORD_INPUT) {
    ctx.status = 400;
    return renderUnlock(deps, ctx, who, { error: t('account.unlock.missing') });
  }
  const outcome = await deps.guard.attempt(who.tenant, who.user.email, password, requestFacts(ctx));
  if (!outcome.ok || outcome.user.id !== who.user.id) {
    ctx.state.log.info({ tenantId: who.tenant.id, reason: outcome.ok ? 'other-user' : outcome.reason }, 'security unlock refused');
    ctx.status = 401;
    return renderUnlock(deps, ctx, who, { error: t('account.unlock.failed') });
  }
  await deps.unlocks.open(who.sessionId, who.user.id);
  return renderSecurity(deps, ctx, who);
}

/** "Done": closes the section before its window ends */
export async function lockSection(deps: ConsoleDeps, ctx: Context, who: SignedIn) {
  await deps.unlocks.close(who.sessionId);
  renderUnlock(deps, ctx, who, { notice: translator(deps, ctx)('account.unlock.closed') });
}
