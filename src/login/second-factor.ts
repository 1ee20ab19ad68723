import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { pageData, requestFacts } from './context.ts';
import type { LoginState } from './login-state.ts';
import type { AuthMethod } from '../policy/authentication-context.ts';
import type { FactorType } from '../policy/tenant-policy.ts';
import { challengeLimits, type SendOutcome } from '../factors/code-delivery.ts';
import { sendRefusalMessage } from '../factors/send-refusal.ts';
import { phoneRefusalDetails } from '../factors/phone-number.ts';
import { destinationOf, isCodeChannel, maskDestination } from './factor-destinations.ts';
import { refusalMessage, verifyWithAttemptLimit } from './code-attempts.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import { AppError } from '../lib/errors.ts';
import { admitUser, secondFactorDone } from './next-step.ts';
import { rememberOffer, rememberRequest } from './device-trust.ts';

type Shown = FactorType | 'recovery';

function shownFactor(state: LoginState, requested: unknown): Shown {
  if (requested === 'recovery') return 'recovery';
  const offered = state.factors ?? [];
  return offered.find((f) => f === requested) ?? offered[0] ?? 'recovery';
}

async function currentUser(deps: LoginDeps, state: LoginState) {
  const user = await deps.users.findById(state.userId);
  if (!user || user.status !== 'active') throw new AppError(400, 'error.session', 'This sign-in can no longer continue');
  return user;
}

export async function renderSecondFactor(
  deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState,
  options: { factor?: unknown; error?: string; notice?: string } = {},
) {
  const locale = ctx.state.locale as string;
  const t = (key: string, vars?: Record<string, unknown>) => deps.renderer.translate(key, locale, vars);
  const factor = shownFactor(state, options.factor);
  const user = await currentUser(deps, state);
  const destination = factor === 'totp' || factor === 'recovery' ? undefined : await destinationOf(deps, user, factor);
  const uid = ic.view.uid;
  ctx.type = 'html';
  ctx.body = deps.renderer.render('second-factor', pageData(ic, {
    title: t('mfa.title'),
    factor,
    lead: t(`mfa.lead.${factor}`, { destination: destination ? maskDestination(destination) : '' }),
    codeFactor: isCodeChannel(factor),
    action: `/interaction/${uid}/mfa`,
    sendAction: `/interaction/${uid}/mfa/send`,
    abortAction: `/interaction/${uid}/abort`,
    csrf: deps.csrf.token(ctx),
    ...rememberOffer(ctx, ic),
    others: [...(state.factors ?? []), 'recovery'].filter((f) => f !== factor)
      .map((f) => ({ name: t(`factor.${f}`), href: `/interaction/${uid}?factor=${f}` })),
    ...(options.error ? { error: options.error } : {}),
    ...(options.notice ? { notice: options.notice } : {}),
  }), locale);
}

/** issues and sends a sign-in code for a code factor the user was offered */
export async function sendCode(deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState, factor: FactorType) {
  const locale = ctx.state.locale as string;
  if (!isCodeChannel(factor) || !(state.factors ?? []).includes(factor)) throw new AppError(400, 'error.session', 'This method is not offered for this sign-in');
  const user = await currentUser(deps, state);
  const destination = await destinationOf(deps, user, factor);
  if (!destination) throw new AppError(400, 'error.session', 'This method is not set up');
  const outcome = await deps.codes.send({
    purpose: 'signin', uid: ic.view.uid, user, tenant: ic.tenant, channel: factor, destination, policy: ic.tenant.policy.mfa, locale, ip: requestFacts(ctx).ip,
  });
  if (!outcome.ok && outcome.refused) {
    // a number enrolled before a rule or the tenant's country list came to refuse it
    await deps.audit.record({
      tenantId: ic.tenant.id, userId: user.id, actor: `user:${user.id}`, action: 'factor.phone_refused', ...requestFacts(ctx),
      details: { ...phoneRefusalDetails(outcome.refused), purpose: 'signin' },
    });
  }
  if (!outcome.ok) {
    ctx.status = outcome.reason === 'number-refused' ? 400 : 429;
    if (outcome.retryAfterSeconds) ctx.set('Retry-After', String(outcome.retryAfterSeconds));
    return renderSecondFactor(deps, ctx, ic, state, { factor, error: sendRefusal(deps, locale, outcome) });
  }
  await deps.audit.record({ tenantId: ic.tenant.id, userId: user.id, actor: `user:${user.id}`, action: 'mfa.code_sent', ...requestFacts(ctx), details: { channel: factor } });
  return renderSecondFactor(deps, ctx, ic, state, { factor, notice: deps.renderer.translate('mfa.sent', locale, { destination: maskDestination(destination) }) });
}

export function sendRefusal(deps: LoginDeps, locale: string, outcome: Extract<SendOutcome, { ok: false }>): string {
  return sendRefusalMessage((key, vars) => deps.renderer.translate(key, locale, vars), outcome);
}

/** The code the user typed for the factor on the page: TOTP, a sent code, or a recovery code. */
export async function submitSecondFactor(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  const state = ic.state;
  if (!state || state.pending !== 'second-factor') throw new AppError(400, 'error.session', 'This step is not expected now');
  const body = ctx.request.body as Record<string, unknown>;
  const factor = shownFactor(state, body.factor);
  const code = typeof body.code === 'string' ? body.code.slice(0, 64) : '';
  const locale = ctx.state.locale as string;
  // a locked or deactivated account's code is not even checked
  const user = await admitUser(deps, ctx, ic, state);
  const facts = requestFacts(ctx);
  let method: AuthMethod | undefined;
  let refusal: ReturnType<typeof refusalMessage> | undefined;
  if (isCodeChannel(factor)) {
    const result = await deps.challenges.verify({ purpose: 'signin', uid: ic.view.uid, userId: user.id, code, limits: challengeLimits(ic.tenant.policy.mfa, factor) });
    if (result.ok) method = result.channel;
    else refusal = refusalMessage(deps, locale, result);
  } else {
    const result = await verifyWithAttemptLimit(deps, ic, user.id, () => factor === 'totp'
      ? deps.factors.verifyTotp(user.id, code)
      : deps.factors.recoveryCodes.consume(user.id, code));
    if (result.ok) method = factor === 'totp' ? 'totp' : 'recovery';
    else refusal = refusalMessage(deps, locale, result);
  }
  const audit = { tenantId: ic.tenant.id, userId: user.id, actor: `user:${user.id}`, ...facts };
  if (!method || refusal) {
    await deps.audit.record({ ...audit, action: refusal?.fatal ? 'mfa.voided' : 'mfa.failed', details: { factor } });
    if (refusal?.fatal) {
      await deps.loginState.clear(ic.view.uid);
      throw new AppError(429, 'error.mfaVoided', 'Too many wrong codes');
    }
    ctx.status = 401;
    return renderSecondFactor(deps, ctx, ic, state, { factor, error: refusal?.message ?? deps.renderer.translate('mfa.wrongNoCount', locale) });
  }
  await deps.audit.record({ ...audit, action: 'mfa.succeeded', details: { method } });
  if (method === 'recovery') {
    await deps.audit.record({ ...audit, action: 'recovery_code.used' });
    const remaining = await deps.factors.recoveryCodes.remaining(user.id);
    sendInBackground(deps.logger, 'recovery-code-used email', () => deps.notifications.recoveryCodeUsed(user, remaining));
  }
  const remember = rememberRequest(ctx);
  return secondFactorDone(deps, ctx, ic, { ...state, methods: [...state.methods, method], ...(remember ? { rememberDevice: remember } : {}) });
}
