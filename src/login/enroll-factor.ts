import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { pageData, requestFacts } from './context.ts';
import type { LoginState } from './login-state.ts';
import { FACTOR_TYPES, type FactorType } from '../policy/tenant-policy.ts';
import { phoneRefusalDetails, screenPhoneNumber, type PhoneRefused } from '../factors/phone-number.ts';
import { challengeLimits } from '../factors/code-delivery.ts';
import { phoneRefusalMessage } from '../factors/send-refusal.ts';
import { isCodeChannel, maskDestination } from './factor-destinations.ts';
import { refusalMessage, verifyWithAttemptLimit, type CodeCheck } from './code-attempts.ts';
import { sendRefusal } from './second-factor.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import { AppError } from '../lib/errors.ts';
import { admitUser, advance } from './next-step.ts';
import { rememberOffer, rememberRequest } from './device-trust.ts';

/**
 * Enrollment during sign-in, for a user who has no usable factor when one is required: right
 * after the password (which proves it is them), before the application gets its code. The
 * first factor confirmed is also this sign-in's second factor; recovery codes are shown once.
 */
async function load(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  const state = ic.state;
  if (!state || state.pending !== 'enroll') throw new AppError(400, 'error.session', 'This step is not expected now');
  return { state, user: await admitUser(deps, ctx, ic, state) };
}

export async function renderEnrollment(
  deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState, options: { error?: string; notice?: string; phoneType?: 'sms' | 'voice' } = {},
) {
  const locale = ctx.state.locale as string;
  const t = (key: string, vars?: Record<string, unknown>) => deps.renderer.translate(key, locale, vars);
  const uid = ic.view.uid;
  const base = {
    title: t('enroll.title'), csrf: deps.csrf.token(ctx), abortAction: `/interaction/${uid}/abort`, ...rememberOffer(ctx, ic),
    ...(options.error ? { error: options.error } : {}), ...(options.notice ? { notice: options.notice } : {}),
  };
  ctx.type = 'html';
  const enrolling = state.enrolling;
  if (enrolling?.type === 'totp') {
    const user = await deps.users.findById(state.userId);
    const totp = await deps.factors.pendingTotp(state.userId, enrolling.factorId, { accountName: user?.email ?? 'user', issuer: ic.tenant.displayName });
    ctx.body = deps.renderer.render('enroll-totp', pageData(ic, { ...base, qrSvg: totp.qrSvg, secret: totp.secret, action: `/interaction/${uid}/enroll/confirm` }), locale);
    return;
  }
  if (enrolling?.destination) {
    ctx.body = deps.renderer.render('enroll-code', pageData(ic, {
      ...base, lead: t('enroll.code.lead', { destination: maskDestination(enrolling.destination) }),
      action: `/interaction/${uid}/enroll/confirm`, resendAction: `/interaction/${uid}/enroll/start`, type: enrolling.type,
    }), locale);
    return;
  }
  if (options.phoneType) {
    ctx.body = deps.renderer.render('enroll-phone', pageData(ic, { ...base, type: options.phoneType, action: `/interaction/${uid}/enroll/start` }), locale);
    return;
  }
  ctx.body = deps.renderer.render('enroll-choose', pageData(ic, {
    ...base, lead: t('enroll.lead', { tenant: ic.tenant.displayName }), action: `/interaction/${uid}/enroll/start`,
    choices: (state.enrollable ?? []).map((type) => ({ type, name: t(`factor.${type}`) })),
  }), locale);
}

/** starts enrolling a factor type: a TOTP secret, or a code sent to the email or phone number */
export async function startEnrollment(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  const { state, user } = await load(deps, ctx, ic);
  const body = ctx.request.body as Record<string, unknown>;
  const type = FACTOR_TYPES.find((f) => f === body.type);
  const locale = ctx.state.locale as string;
  if (!type || !(state.enrollable ?? []).includes(type)) throw new AppError(400, 'error.session', 'This method cannot be set up here');
  if (type === 'totp') {
    const totp = await deps.factors.startTotp(user.id, { accountName: user.email, issuer: ic.tenant.displayName });
    const next: LoginState = { ...state, enrolling: { type, factorId: totp.factorId } };
    await deps.loginState.put(ic.view.uid, next);
    return renderEnrollment(deps, ctx, ic, next);
  }
  let destination = user.email;
  if (type !== 'email') {
    if (body.phone === undefined && !state.enrolling?.destination) return renderEnrollment(deps, ctx, ic, state, { phoneType: type });
    const screened = screenPhoneNumber(body.phone ?? state.enrolling?.destination, type, ic.tenant.policy.mfa);
    if (!screened.ok) {
      if (screened.reason !== 'malformed') return refusePhoneNumber(deps, ctx, ic, { ...state, enrolling: undefined }, screened);
      ctx.status = 400;
      return renderEnrollment(deps, ctx, ic, { ...state, enrolling: undefined }, { phoneType: type, error: deps.renderer.translate('enroll.phone.invalid', locale) });
    }
    destination = screened.phone;
  }
  const factor = state.enrolling?.type === type && state.enrolling.destination === destination
    ? { id: state.enrolling.factorId }
    : await deps.factors.addPending(user.id, type, type === 'email' ? {} : { phone: destination });
  const next: LoginState = { ...state, enrolling: { type, factorId: factor.id, destination } };
  await deps.loginState.put(ic.view.uid, next);
  const outcome = await deps.codes.send({
    purpose: 'enroll', uid: ic.view.uid, user, tenant: ic.tenant, channel: type, destination, policy: ic.tenant.policy.mfa, locale, ip: requestFacts(ctx).ip,
  });
  if (!outcome.ok && outcome.refused) {
    await deps.loginState.put(ic.view.uid, { ...next, enrolling: undefined });
    return refusePhoneNumber(deps, ctx, ic, { ...next, enrolling: undefined }, outcome.refused);
  }
  if (!outcome.ok) {
    ctx.status = outcome.reason === 'number-refused' ? 400 : 429;
    if (outcome.retryAfterSeconds) ctx.set('Retry-After', String(outcome.retryAfterSeconds));
    const retry = outcome.reason === 'number-refused' ? { ...next, enrolling: undefined } : next;
    if (retry !== next) await deps.loginState.put(ic.view.uid, retry);
    return renderEnrollment(deps, ctx, ic, retry, { error: sendRefusal(deps, locale, outcome), ...(retry !== next && type !== 'email' ? { phoneType: type } : {}) });
  }
  await deps.audit.record({ tenantId: ic.tenant.id, userId: user.id, actor: `user:${user.id}`, action: 'mfa.code_sent', ...requestFacts(ctx), details: { channel: type, purpose: 'enroll' } });
  return renderEnrollment(deps, ctx, ic, next, { notice: deps.renderer.translate('mfa.sent', locale, { destination: maskDestination(destination) }) });
}

/** a number that may not get codes: said at the number's field (400), written to the audit log masked, nothing sent */
async function refusePhoneNumber(deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState, refused: PhoneRefused) {
  const locale = ctx.state.locale as string;
  await deps.audit.record({
    tenantId: ic.tenant.id, userId: state.userId, actor: `user:${state.userId}`, action: 'factor.phone_refused', ...requestFacts(ctx),
    details: { ...phoneRefusalDetails(refused), purpose: 'enroll' },
  });
  ctx.status = 400;
  const error = phoneRefusalMessage((key, vars) => deps.renderer.translate(key, locale, vars), refused);
  return renderEnrollment(deps, ctx, ic, state, { phoneType: refused.channel, error });
}

/** the first code proves the factor works: it is confirmed, and counts as this sign-in's second factor */
export async function confirmEnrollment(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  const { state, user } = await load(deps, ctx, ic);
  const enrolling = state.enrolling;
  if (!enrolling) throw new AppError(400, 'error.session', 'Choose a method to set up first');
  const body = ctx.request.body as Record<string, unknown>;
  const code = typeof body.code === 'string' ? body.code.slice(0, 64) : '';
  const locale = ctx.state.locale as string;
  let checked: CodeCheck;
  if (isCodeChannel(enrolling.type)) {
    const result = await deps.challenges.verify({ purpose: 'enroll', uid: ic.view.uid, userId: user.id, code, limits: challengeLimits(ic.tenant.policy.mfa, enrolling.type) });
    checked = result.ok ? { ok: true } : result;
    if (result.ok) await deps.factors.confirm(user.id, enrolling.factorId);
  } else {
    checked = await verifyWithAttemptLimit(deps, ic, user.id, () => deps.factors.confirmTotp(user.id, enrolling.factorId, code));
  }
  const facts = { tenantId: ic.tenant.id, userId: user.id, actor: `user:${user.id}`, ...requestFacts(ctx) };
  if (!checked.ok) {
    const refusal = refusalMessage(deps, locale, checked);
    await deps.audit.record({ ...facts, action: refusal.fatal ? 'mfa.voided' : 'mfa.failed', details: { factor: enrolling.type, purpose: 'enroll' } });
    if (refusal.fatal) {
      await deps.loginState.clear(ic.view.uid);
      throw new AppError(429, 'error.mfaVoided', 'Too many wrong codes');
    }
    ctx.status = 401;
    return renderEnrollment(deps, ctx, ic, state, { error: refusal.message });
  }
  await deps.audit.record({ ...facts, action: 'factor.added', details: { type: enrolling.type, during: 'sign-in' } });
  sendInBackground(deps.logger, 'factor-added email', () => deps.notifications.factorAdded(user, enrolling.type));
  const remember = rememberRequest(ctx);
  const done: LoginState = { ...state, methods: [...state.methods, enrolling.type as FactorType], enrolling: undefined, ...(remember ? { rememberDevice: remember } : {}) };
  await deps.users.recordSecondFactor(user.id);
  if ((await deps.factors.recoveryCodes.remaining(user.id)) > 0) return advance(deps, ctx, ic, done);
  const codes = await deps.factors.recoveryCodes.generate(user.id, ic.tenant.policy.mfa.recoveryCodeCount);
  await deps.audit.record({ ...facts, action: 'recovery_codes.generated' });
  // shown in this response only; never stored anywhere but as hashes
  await deps.loginState.put(ic.view.uid, { ...done, pending: 'continue' });
  ctx.type = 'html';
  ctx.body = deps.renderer.render('recovery-codes', pageData(ic, {
    title: deps.renderer.translate('recoveryCodes.title', locale), codes, csrf: deps.csrf.token(ctx), action: `/interaction/${ic.view.uid}/continue`,
  }), locale);
}

/** after a page shown once (the recovery codes): on to the next step */
export async function continueAfterNotice(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  const state = ic.state;
  if (!state || state.pending !== 'continue') throw new AppError(400, 'error.session', 'This step is not expected now');
  return advance(deps, ctx, ic, state);
}

