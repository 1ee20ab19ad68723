import type { Context } from 'koa';
import type { ConsoleDeps, Unlocked } from './context.ts';
import { SECURITY_PATH, audit, offeredTypes, renderPage, translator } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import type { PendingFactor, SecurityUnlock } from './unlock-store.ts';
import { renderSecurity } from './security-page.ts';
import { phoneRefusalMessage, sendRefusalMessage } from '../factors/send-refusal.ts';
import { FACTOR_TYPES, type FactorType } from '../policy/tenant-policy.ts';
import { isCodeFactor } from '../policy/factor-types.ts';
import { phoneRefusalDetails, screenPhoneNumber, type PhoneRefused } from '../factors/phone-number.ts';
import { refusalMessage } from '../factors/code-attempts.ts';
import type { FactorScope, ProofCheck } from '../factors/factor.ts';
import type { CodeChannel } from '../factors/code-challenges.ts';
import { maskPhoneNumber } from '../factors/delivery/phone.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import { AppError } from '../lib/errors.ts';
import { readForm } from '../http/form.ts';
import { addFactorForm, addPasskeyForm, confirmFactorForm } from './forms.ts';
import { randomUUID } from 'node:crypto';
import { newPasskeyForm } from '../http/passkey-form.ts';

/**
 * Adding a factor on the unlocked security page: a TOTP secret shown as a QR code, or a code
 * sent to the account email or to the phone number being added. The factor stays pending (it
 * is never asked at sign-in) until its first code proves it works. Codes are limited like at
 * sign-in: each enrollment has codeMaxAttempts, the user's failures count across sign-in and
 * this page, and sends keep the tenant's resend, hourly, per-number, per-prefix, per-IP and
 * per-tenant limits. A number that may not get codes (its type or country) is refused at its
 * field before anything is stored or sent.
 */
const PURPOSE = 'account';

/** what a code or TOTP guess on this page is bound to: the pending factor being added */
function accountScope(ctx: Context, who: Unlocked, adding: PendingFactor): FactorScope {
  return { purpose: PURPOSE, uid: adding.factorId, tenant: who.tenant, user: who.user, locale: ctx.state.locale, ip: requestFacts(ctx).ip };
}

async function setAdding(deps: ConsoleDeps, who: Unlocked, adding: PendingFactor | undefined): Promise<Unlocked> {
  const unlock: SecurityUnlock = { accountId: who.unlock.accountId, until: who.unlock.until, ...(adding ? { adding } : {}) };
  await deps.unlocks.update(who.sessionId, unlock);
  return { ...who, unlock };
}

/** forgets the enrollment in progress: its pending factor and any code sent for it */
async function dropAdding(deps: ConsoleDeps, who: Unlocked): Promise<Unlocked> {
  const adding = who.unlock.adding;
  if (!adding) return who;
  const pending = (await deps.factors.list(who.user.id)).find((f) => f.id === adding.factorId && !f.confirmedAt);
  if (pending) await deps.factors.remove(who.user.id, pending.id);
  if (isCodeFactor(adding.type)) await deps.challenges.cancel(PURPOSE, adding.factorId);
  return setAdding(deps, who, undefined);
}

/** the pending factor is gone (replaced in another tab, or removed): start again from the overview */
async function enrollmentGone(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const next = await setAdding(deps, who, undefined);
  ctx.status = 409;
  return renderSecurity(deps, ctx, next, { error: translator(deps, ctx)('account.add.gone') });
}

const isNotFound = (err: unknown) => err instanceof AppError && err.status === 404;

export async function renderAdding(
  deps: ConsoleDeps,
  ctx: Context,
  who: Unlocked,
  options: { error?: string; notice?: string; phoneType?: FactorType; notSent?: boolean } = {},
) {
  const t = translator(deps, ctx);
  const adding = who.unlock.adding;
  const base = {
    title: t('account.add.title'),
    cancelAction: `${SECURITY_PATH}/factors/cancel`,
    ...(options.error ? { error: options.error } : {}),
    ...(options.notice ? { notice: options.notice } : {}),
  };
  if (adding?.type === 'passkey') {
    const options = await deps.secondFactors.get('passkey').enrolOptions!(accountScope(ctx, who, adding));
    const passkey = newPasskeyForm(deps, ctx.state.locale, { action: `${SECURITY_PATH}/factors/passkey`, options });
    return renderPage(deps, ctx, who, 'account-add-passkey', { ...base, passkey });
  }
  if (adding?.type === 'totp') {
    let totp: Awaited<ReturnType<ConsoleDeps['factors']['pendingTotp']>>;
    try {
      totp = await deps.factors.pendingTotp(who.user.id, adding.factorId, { accountName: who.user.email, issuer: who.tenant.displayName });
    } catch (err) {
      if (isNotFound(err)) return enrollmentGone(deps, ctx, who);
      throw err;
    }
    return renderPage(deps, ctx, who, 'account-add-totp', { ...base, qrSvg: totp.qrSvg, secret: totp.secret, action: `${SECURITY_PATH}/factors/confirm` });
  }
  if (adding?.destination) {
    const shown = adding.type === 'email' ? adding.destination : maskPhoneNumber(adding.destination);
    return renderPage(deps, ctx, who, 'account-add-code', {
      ...base,
      // after a refused send the page does not claim a code went out
      lead: t(options.notSent ? 'account.add.code.notSent' : `account.add.code.${adding.type}`, { destination: shown }),
      action: `${SECURITY_PATH}/factors/confirm`,
      resendAction: `${SECURITY_PATH}/factors/resend`,
    });
  }
  if (options.phoneType) {
    return renderPage(deps, ctx, who, 'account-add-phone', {
      ...base,
      type: options.phoneType,
      lead: t(`account.add.phone.${options.phoneType}`),
      action: `${SECURITY_PATH}/factors/add`,
    });
  }
  return renderSecurity(deps, ctx, who, options);
}

/** starts adding the chosen type; a phone type first asks for the number */
export async function startAdding(deps: ConsoleDeps, ctx: Context, unlocked: Unlocked) {
  const t = translator(deps, ctx);
  const form = readForm(ctx, addFactorForm);
  const type = FACTOR_TYPES.find((f) => f === form.type);
  if (!type || !offeredTypes(deps, unlocked.tenant).includes(type)) {
    ctx.status = 400;
    return renderSecurity(deps, ctx, unlocked, { error: t('account.add.notOffered') });
  }
  const current = unlocked.unlock.adding;
  if (type === 'passkey') {
    // nothing is stored until the browser answers: the id only binds the ceremony's challenge
    const who = await dropAdding(deps, unlocked);
    return renderAdding(deps, ctx, await setAdding(deps, who, { type, factorId: randomUUID() }));
  }
  if (type === 'totp') {
    const who = await dropAdding(deps, unlocked);
    const totp = await deps.factors.startTotp(who.user.id, { accountName: who.user.email, issuer: who.tenant.displayName });
    return renderAdding(deps, ctx, await setAdding(deps, who, { type, factorId: totp.factorId }));
  }
  let destination = unlocked.user.email;
  if (type !== 'email') {
    const raw = form.phone;
    if (raw === undefined) return renderAdding(deps, ctx, await dropAdding(deps, unlocked), { phoneType: type });
    const screened = screenPhoneNumber(raw, type, unlocked.tenant.policy.mfa);
    if (!screened.ok) {
      const who = await dropAdding(deps, unlocked);
      if (screened.reason !== 'malformed') return refusePhoneNumber(deps, ctx, who, screened);
      ctx.status = 400;
      return renderAdding(deps, ctx, who, { phoneType: type, error: t('enroll.phone.invalid') });
    }
    destination = screened.phone;
  }
  // the same type and destination again is a resend of the same enrollment
  if (current?.type === type && current.destination === destination) return sendCode(deps, ctx, unlocked, current);
  const who = await dropAdding(deps, unlocked);
  let factorId: string;
  try {
    factorId = (await deps.factors.addPending(who.user.id, type, type === 'email' ? {} : { phone: destination })).id;
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'factor.exists')) throw err;
    ctx.status = 409;
    return renderSecurity(deps, ctx, who, { error: t('account.add.exists') });
  }
  const adding: PendingFactor = { type, factorId, destination };
  return sendCode(deps, ctx, await setAdding(deps, who, adding), adding);
}

/** "Send a new code" for the enrollment in progress */
export async function resendCode(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const adding = who.unlock.adding;
  if (!adding?.destination) {
    ctx.status = 400;
    return renderSecurity(deps, ctx, who, { error: translator(deps, ctx)('account.add.none') });
  }
  return sendCode(deps, ctx, who, adding);
}

async function sendCode(deps: ConsoleDeps, ctx: Context, who: Unlocked, adding: PendingFactor) {
  const t = translator(deps, ctx);
  const channel = adding.type as CodeChannel;
  const destination = adding.destination!;
  const outcome = await deps.secondFactors.get(channel).issue!(accountScope(ctx, who, adding), destination);
  if (!outcome.ok && outcome.refused) return refusePhoneNumber(deps, ctx, await dropAdding(deps, who), outcome.refused);
  if (!outcome.ok) {
    if (outcome.retryAfterSeconds) ctx.set('Retry-After', String(outcome.retryAfterSeconds));
    const message = sendRefusalMessage(t, outcome, 'account.add.voided');
    if (outcome.reason === 'number-refused') {
      ctx.status = 400;
      return renderAdding(deps, ctx, await dropAdding(deps, who), { phoneType: adding.type, error: message });
    }
    ctx.status = 429;
    return renderAdding(deps, ctx, who, { error: message, notSent: true });
  }
  await audit(deps, ctx, who, 'mfa.code_sent', { channel, purpose: PURPOSE });
  const shown = channel === 'email' ? destination : maskPhoneNumber(destination);
  return renderAdding(deps, ctx, who, { notice: t('mfa.sent', { destination: shown }) });
}

/** a number that may not get codes: said at the number's field (400), written to the audit log masked, nothing sent */
async function refusePhoneNumber(deps: ConsoleDeps, ctx: Context, who: Unlocked, refused: PhoneRefused) {
  await audit(deps, ctx, who, 'factor.phone_refused', phoneRefusalDetails(refused));
  ctx.status = 400;
  return renderAdding(deps, ctx, who, { phoneType: refused.channel, error: phoneRefusalMessage(translator(deps, ctx), refused) });
}

/** the first code: the factor is confirmed, the user is told by email, and recovery codes are made if none are left */
export async function confirmAdding(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const t = translator(deps, ctx);
  const adding = who.unlock.adding;
  if (!adding) {
    ctx.status = 400;
    return renderSecurity(deps, ctx, who, { error: t('account.add.none') });
  }
  const { code } = readForm(ctx, confirmFactorForm);
  let checked: ProofCheck;
  try {
    // the same confirm path as the sign-in's enrolment step (src/factors/second-factors.ts)
    checked = await deps.secondFactors.get(adding.type).confirm!(accountScope(ctx, who, adding), adding.factorId, code);
  } catch (err) {
    if (isNotFound(err)) return enrollmentGone(deps, ctx, who);
    throw err;
  }
  if (!checked.ok) {
    const refusal = refusalMessage(t, checked);
    await audit(deps, ctx, who, refusal.fatal ? 'mfa.voided' : 'mfa.failed', { factor: adding.type, purpose: PURPOSE });
    if (refusal.fatal) {
      ctx.status = 429;
      return renderSecurity(deps, ctx, await dropAdding(deps, who), { error: t('account.add.voided') });
    }
    ctx.status = 401;
    return renderAdding(deps, ctx, who, { error: refusal.message });
  }
  return added(deps, ctx, who, adding.type);
}

/** the browser's new passkey, named by the user: added at once (the ceremony proved it) */
export async function confirmPasskey(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const t = translator(deps, ctx);
  const adding = who.unlock.adding;
  if (adding?.type !== 'passkey') {
    ctx.status = 400;
    return renderSecurity(deps, ctx, who, { error: t('account.add.none') });
  }
  const form = readForm(ctx, addPasskeyForm);
  const name = form.name.trim() || t('factor.passkey');
  const created = await deps.secondFactors.get('passkey').enrol!(accountScope(ctx, who, adding), form.credential, name);
  if (!created.ok) {
    ctx.status = 400;
    // a fresh challenge for the next try
    return renderAdding(deps, ctx, who, { error: t(created.reason === 'invalid' ? 'passkey.createFailed' : `passkey.${created.reason}`) });
  }
  return added(deps, ctx, who, 'passkey');
}

/** a factor added: audited, the user told by email, recovery codes made if none are left */
async function added(deps: ConsoleDeps, ctx: Context, who: Unlocked, type: FactorType) {
  const t = translator(deps, ctx);
  const policy = who.tenant.policy.mfa;
  const done = await setAdding(deps, who, undefined);
  const name = t(`factor.${type}`);
  await audit(deps, ctx, done, 'factor.added', { type });
  sendInBackground(deps.logger, 'factor-added email', () => deps.notifications.factorAdded(done.user, type));
  const notice = t('account.added', { factor: name });
  if ((await deps.factors.recoveryCodes.remaining(done.user.id)) > 0) return renderSecurity(deps, ctx, done, { notice });
  const codes = await deps.factors.recoveryCodes.generate(done.user.id, policy.recoveryCodeCount);
  await audit(deps, ctx, done, 'recovery_codes.generated', { first: true });
  return renderPage(deps, ctx, done, 'account-recovery-codes', { title: t('recoveryCodes.title'), codes, notice });
}

/** "Cancel": the pending factor and its code are dropped */
export async function cancelAdding(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  return renderSecurity(deps, ctx, await dropAdding(deps, who));
}
