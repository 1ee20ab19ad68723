import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { SECURITY_PATH, offeredTypes, renderPage, translator } from './context.ts';
import { maskPhoneNumber } from '../factors/delivery/phone.ts';
import { deviceEntries } from './device-list.ts';

/**
 * The unlocked security section: the user's confirmed factors (the preferred one is asked
 * first at sign-in), how many recovery codes are left, what can be added, and the devices
 * that skip the second factor.
 */
export async function renderSecurity(deps: ConsoleDeps, ctx: Context, who: SignedIn, options: { error?: string; notice?: string } = {}) {
  const t = translator(deps, ctx);
  const [all, remaining, devices] = await Promise.all([
    deps.factors.list(who.user.id), deps.factors.recoveryCodes.remaining(who.user.id), deviceEntries(deps, ctx, who),
  ]);
  const confirmed = all.filter((f) => f.confirmedAt);
  // with none marked, sign-in asks the oldest first
  const preferredId = (confirmed.find((f) => f.preferred) ?? confirmed[0])?.id;
  const offered = offeredTypes(deps, who.tenant);
  const hasEmail = confirmed.some((f) => f.type === 'email');
  renderPage(deps, ctx, who, 'account-security', {
    title: t('account.title'),
    email: who.user.email,
    firstName: who.user.firstName,
    lastName: who.user.lastName,
    factors: confirmed.map((f) => ({
      id: f.id,
      type: f.type,
      name: t(`factor.${f.type}`),
      label: f.label,
      phone: f.phone ? maskPhoneNumber(f.phone) : '',
      preferred: f.id === preferredId,
      added: f.createdAt,
      allowed: who.tenant.policy.mfa.factors.includes(f.type),
    })),
    recoveryRemaining: remaining,
    canRegenerate: confirmed.length > 0,
    addable: offered.filter((type) => type !== 'email' || !hasEmail).map((type) => ({ type, name: t(`factor.${type}`) })),
    required: who.tenant.policy.mfa.mode !== 'optional',
    devices,
    trustDays: who.tenant.policy.devices.trustDays,
    actions: {
      add: `${SECURITY_PATH}/factors/add`,
      remove: `${SECURITY_PATH}/factors/remove`,
      prefer: `${SECURITY_PATH}/factors/preferred`,
      regenerate: `${SECURITY_PATH}/recovery-codes`,
      lock: `${SECURITY_PATH}/lock`,
      forgetDevice: `${SECURITY_PATH}/devices/revoke`,
      forgetAllDevices: `${SECURITY_PATH}/devices/revoke-all`,
      renameDevice: `${SECURITY_PATH}/devices/rename`,
      profile: `${SECURITY_PATH}/profile`,
    },
    ...(options.error ? { error: options.error } : {}),
    ...(options.notice ? { notice: options.notice } : {}),
  });
}
