import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { SECURITY_PATH, deploymentDelivery, offeredTypes, renderPage, translator } from './context.ts';
import { undeliverableFactors } from '../policy/deliverable-factors.ts';
import { maskPhoneNumber } from '../factors/delivery/phone.ts';
import { deviceEntries } from './device-list.ts';
import { sessionEntries } from './session-list.ts';
import { TOKEN_EXPIRY_DAYS, mayHoldTokens, tokenEntries } from './api-token-list.ts';
import { minimumLength } from '../policy/password-rules.ts';
import { linkedIdentityEntries } from './linked-identity-list.ts';
import { ADMIN_SCOPES } from '../admin/scopes.ts';

export interface SecurityPageOptions {
  error?: string;
  notice?: string;
  /** the password form's messages, beside their fields (password: one per failed rule) */
  passwordErrors?: { current?: string; password?: string[]; confirm?: string };
  /** the token form's messages, beside their fields */
  tokenErrors?: Record<string, string>;
}

/**
 * The unlocked security section: password change, the user's confirmed factors (the
 * preferred one is asked first at sign-in), the verified phone numbers, how many recovery
 * codes are left, what can be added, the devices that skip the second factor, the browsers
 * signed in, and (owners and admins) personal API tokens.
 */
export async function renderSecurity(deps: ConsoleDeps, ctx: Context, who: SignedIn, options: SecurityPageOptions = {}) {
  const t = translator(deps, ctx);
  const [all, remaining, devices, sessions, tokens, linkedIdentities, hasPassword] = await Promise.all([
    deps.factors.list(who.user.id),
    deps.factors.recoveryCodes.remaining(who.user.id),
    deviceEntries(deps, ctx, who),
    sessionEntries(deps, who),
    tokenEntries(deps, who),
    linkedIdentityEntries(deps, who),
    deps.federation.identities.hasPassword(who.user.id),
  ]);
  const confirmed = all.filter((f) => f.confirmedAt);
  // with none marked, sign-in asks the oldest first
  const preferredId = (confirmed.find((f) => f.preferred) ?? confirmed[0])?.id;
  const offered = offeredTypes(deps, who.tenant);
  const hasEmail = confirmed.some((f) => f.type === 'email');
  const phoneType = offered.find((type) => type === 'sms') ?? offered.find((type) => type === 'voice');
  // types the tenant allows that cannot be added here: said once, beside what can be added
  const undeliverable = undeliverableFactors(who.tenant.policy.mfa.factors, deploymentDelivery(deps));
  const methods = new Intl.ListFormat(ctx.state.locale, { type: 'conjunction' }).format(undeliverable.map((type) => t(`factor.${type}`)));
  const policy = who.tenant.policy;
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
    undeliverable: undeliverable.length ? t('account.add.undeliverable', { methods }) : '',
    required: who.tenant.policy.mfa.mode !== 'optional',
    devices,
    trustDays: who.tenant.policy.devices.trustDays,
    phones: confirmed.filter((f) => f.phone).map((f) => ({ type: f.type, name: t(`factor.${f.type}`), phone: maskPhoneNumber(f.phone!) })),
    phoneType,
    // a user provisioned by an upstream provider has no password to change here
    hasPassword,
    passwordAdvice: t('password.advice', { min: minimumLength(policy.password, policy.mfa.mode) }),
    passwordErrors: options.passwordErrors ?? {},
    sessions,
    linkedIdentities,
    otherSessions: sessions.some((s) => !s.current),
    tokensAllowed: mayHoldTokens(who),
    tokens: tokens.map((token) => ({ ...token, statusLabel: t(`account.tokens.status.${token.status}`) })),
    tokenErrors: options.tokenErrors ?? {},
    tokenScopes: ADMIN_SCOPES,
    tokenExpiry: TOKEN_EXPIRY_DAYS.map((days) => ({ days, selected: days === 90 })),
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
      password: `${SECURITY_PATH}/password`,
      endSession: `${SECURITY_PATH}/sessions/end`,
      endOtherSessions: `${SECURITY_PATH}/sessions/end-others`,
      createToken: `${SECURITY_PATH}/tokens`,
      revokeToken: `${SECURITY_PATH}/tokens/revoke`,
      overview: '/account',
    },
    ...(options.error ? { error: options.error } : {}),
    ...(options.notice ? { notice: options.notice } : {}),
  });
}
