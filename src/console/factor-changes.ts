import type { Context } from 'koa';
import type { ConsoleDeps, Unlocked } from './context.ts';
import { audit, formField, offeredTypes, renderPage, translator } from './context.ts';
import { renderSecurity } from './security-page.ts';
import type { Factor } from '../accounts/factors.ts';
import type { FactorType, MfaMode } from '../policy/tenant-policy.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import { AppError } from '../lib/errors.ts';

/**
 * Whether a factor may go. When the tenant requires a second factor (always, or outside its
 * allowlist), the last usable one may not: the next sign-in would then let whoever has the
 * password enroll a factor of their own. The user adds another first. In optional mode the
 * user may turn two-step verification off.
 */
export function mayRemove(mode: MfaMode, usableTypes: readonly FactorType[], remaining: readonly Factor[]): boolean {
  return mode === 'optional' || remaining.some((f) => usableTypes.includes(f.type));
}

async function confirmedFactor(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const confirmed = (await deps.factors.list(who.user.id)).filter((f) => f.confirmedAt);
  const id = formField(ctx, 'factor');
  return { confirmed, factor: confirmed.find((f) => f.id === id) };
}

function unknownFactor(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  ctx.status = 400;
  return renderSecurity(deps, ctx, who, { error: translator(deps, ctx)('account.factor.unknown') });
}

export async function removeFactor(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const t = translator(deps, ctx);
  const { confirmed, factor } = await confirmedFactor(deps, ctx, who);
  if (!factor) return unknownFactor(deps, ctx, who);
  const remaining = confirmed.filter((f) => f.id !== factor.id);
  if (!mayRemove(who.tenant.policy.mfa.mode, offeredTypes(deps, who.tenant), remaining)) {
    ctx.status = 409;
    return renderSecurity(deps, ctx, who, { error: t('account.remove.required', { tenant: who.tenant.displayName }) });
  }
  try {
    await deps.factors.remove(who.user.id, factor.id);
  } catch (err) {
    // removed in another tab in the meantime
    if (err instanceof AppError && err.status === 404) return unknownFactor(deps, ctx, who);
    throw err;
  }
  const last = remaining.length === 0;
  // two-step verification is off: recovery codes and unfinished enrollments go with it
  if (last) await deps.factors.removeAll(who.user.id);
  const name = t(`factor.${factor.type}`);
  await audit(deps, ctx, who, 'factor.removed', { type: factor.type, last });
  sendInBackground(deps.logger, 'factor-removed email', () => deps.notifications.factorRemoved(who.user, factor.type));
  return renderSecurity(deps, ctx, who, { notice: t(last ? 'account.removed.last' : 'account.removed', { factor: name }) });
}

/** the factor sign-in asks first */
export async function makePreferred(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const { factor } = await confirmedFactor(deps, ctx, who);
  if (!factor) return unknownFactor(deps, ctx, who);
  try {
    await deps.factors.setPreferred(who.user.id, factor.id);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return unknownFactor(deps, ctx, who);
    throw err;
  }
  const t = translator(deps, ctx);
  return renderSecurity(deps, ctx, who, { notice: t('account.preferredSet', { factor: t(`factor.${factor.type}`) }) });
}

/** new recovery codes, shown in this response only; the old ones stop working at once */
export async function regenerateRecoveryCodes(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const t = translator(deps, ctx);
  if ((await deps.factors.confirmedTypes(who.user.id)).length === 0) {
    ctx.status = 409;
    return renderSecurity(deps, ctx, who, { error: t('account.recovery.noFactor') });
  }
  const codes = await deps.factors.recoveryCodes.generate(who.user.id, who.tenant.policy.mfa.recoveryCodeCount);
  await audit(deps, ctx, who, 'recovery_codes.generated', { regenerated: true });
  sendInBackground(deps.logger, 'recovery-codes email', () => deps.notifications.recoveryCodesRegenerated(who.user));
  return renderPage(deps, ctx, who, 'account-recovery-codes', { title: t('recoveryCodes.title'), codes, notice: t('account.recovery.regenerated') });
}
