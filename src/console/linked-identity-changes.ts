import type { Context } from 'koa';
import type { ConsoleDeps, Unlocked } from './context.ts';
import { audit, formField, translator } from './context.ts';
import { renderSecurity } from './security-page.ts';

/**
 * "Remove": the upstream identity no longer signs in to this account (linking again asks for the
 * password). The last identity of a user without a password stays: it is their only way in.
 */
export async function removeLinkedIdentity(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const t = translator(deps, ctx);
  const id = formField(ctx, 'identity', 64);
  const outcome = await deps.federation.identities.remove(who.user.id, id);
  if (outcome === undefined) {
    ctx.status = 404;
    return renderSecurity(deps, ctx, who, { error: t('federation.console.missing') });
  }
  if (outcome === 'last-identity') {
    ctx.status = 409;
    return renderSecurity(deps, ctx, who, { error: t('federation.console.lastIdentity') });
  }
  const provider = outcome.removed;
  await audit(deps, ctx, who, 'federation.unlinked', { identityId: id, provider });
  return renderSecurity(deps, ctx, who, { notice: t('federation.console.removed', { provider }) });
}
