import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn, Unlocked } from './context.ts';
import { SECURITY_PATH, audit, formField, translator } from './context.ts';
import { renderSecurity } from './overview.ts';

/** the identities at upstream providers linked to the user, for the security page's partial */
export async function linkedIdentityEntries(deps: ConsoleDeps, who: SignedIn) {
  const identities = await deps.federation.identities.listForUser(who.user.id);
  return {
    items: identities.map((i) => ({ id: i.id, provider: i.providerLabel, email: i.email ?? '', linkedAt: i.createdAt, lastUsed: i.lastUsedAt })),
    removeAction: `${SECURITY_PATH}/identities/remove`,
  };
}

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
