import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { auditSignIn, factorScope, pageData } from './context.ts';
import type { LoginState } from './login-state.ts';
import { FACTOR_TYPES, type FactorType } from '../policy/tenant-policy.ts';
import { phoneRefusalDetails, screenPhoneNumber, type PhoneRefused } from '../factors/phone-number.ts';
import { phoneRefusalMessage } from '../factors/send-refusal.ts';
import { maskDestination } from './factor-destinations.ts';
import { refusedProof, sendRefusal } from './code-attempts.ts';
import { shown, type StepAt, type StepOutcome } from './step-outcome.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import { AppError } from '../lib/errors.ts';
import { rememberOffer, rememberRequest } from './device-trust.ts';
import { readForm } from '../http/form.ts';
import { enrollConfirmForm, enrollPasskeyForm, enrollStartForm, type RememberDeviceFields } from './forms.ts';
import { newPasskeyForm } from '../http/passkey-form.ts';
import type { AuthMethod } from '../policy/authentication-context.ts';

/**
 * Enrollment during sign-in, for a user who has no usable factor when one is required: right
 * after the password (which proves it is them), before the application gets its code. The
 * first factor confirmed is also this sign-in's second factor; recovery codes are shown once.
 */
function enrollable(at: StepAt): FactorType[] {
  return at.step.step === 'enroll' ? at.step.factors : [];
}

/**
 * The step's page as the sign-in now stands (`state`: the step's state as just changed, else the
 * stored one). `notSent`: the code just asked for was refused, so the code page claims no sending.
 */
async function render(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  at: StepAt,
  options: { state?: LoginState; error?: string; notice?: string; phoneType?: 'sms' | 'voice'; notSent?: boolean } = {},
): Promise<StepOutcome> {
  const state = options.state ?? at.state;
  const locale = ctx.state.locale;
  const t = (key: string, vars?: Record<string, unknown>) => deps.renderer.translate(key, locale, vars);
  const uid = ic.view.uid;
  const base = {
    title: t('enroll.title'),
    csrf: deps.csrf.token(ctx),
    abortAction: `/interaction/${uid}/abort`,
    ...rememberOffer(ctx, ic),
    ...(options.error ? { error: options.error } : {}),
    ...(options.notice ? { notice: options.notice } : {}),
  };
  ctx.type = 'html';
  const enrolling = state.enrolling;
  if (enrolling?.type === 'passkey') {
    const options = await deps.secondFactors.get('passkey').enrolOptions!(factorScope(ctx, ic, at.user, 'enroll'));
    const passkey = newPasskeyForm(deps, locale, { action: `/interaction/${uid}/enroll/passkey`, options, remember: true });
    // a browser without passkeys (or a user who would rather not) can set up another allowed type instead
    const others = enrollable(at)
      .filter((type) => type !== 'passkey')
      .map((type) => ({ type, name: t(`factor.${type}`) }));
    ctx.body = deps.renderer.render('enroll-passkey', pageData(ic, { ...base, passkey, others, startAction: `/interaction/${uid}/enroll/start` }), locale);
    return shown;
  }
  if (enrolling?.type === 'totp') {
    const totp = await deps.factors.pendingTotp(state.userId, enrolling.factorId, { accountName: at.user.email, issuer: ic.tenant.displayName });
    ctx.body = deps.renderer.render(
      'enroll-totp',
      pageData(ic, { ...base, qrSvg: totp.qrSvg, secret: totp.secret, action: `/interaction/${uid}/enroll/confirm` }),
      locale,
    );
    return shown;
  }
  if (enrolling?.destination) {
    ctx.body = deps.renderer.render(
      'enroll-code',
      pageData(ic, {
        ...base,
        lead: t(options.notSent ? 'mfa.lead.notSent' : 'enroll.code.lead', { destination: maskDestination(enrolling.destination) }),
        action: `/interaction/${uid}/enroll/confirm`,
        resendAction: `/interaction/${uid}/enroll/start`,
        type: enrolling.type,
      }),
      locale,
    );
    return shown;
  }
  if (options.phoneType) {
    ctx.body = deps.renderer.render('enroll-phone', pageData(ic, { ...base, type: options.phoneType, action: `/interaction/${uid}/enroll/start` }), locale);
    return shown;
  }
  ctx.body = deps.renderer.render(
    'enroll-choose',
    pageData(ic, {
      ...base,
      lead: t('enroll.lead', { tenant: ic.tenant.displayName }),
      action: `/interaction/${uid}/enroll/start`,
      choices: enrollable(at).map((type) => ({ type, name: t(`factor.${type}`) })),
    }),
    locale,
  );
  return shown;
}

/** the page again (a GET) */
export function show(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  return render(deps, ctx, ic, at);
}

/** starts enrolling a factor type: a TOTP secret, or a code sent to the email or phone number */
export async function start(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const { state, user } = at;
  const form = readForm(ctx, enrollStartForm);
  const type = FACTOR_TYPES.find((f) => f === form.type);
  const locale = ctx.state.locale;
  if (!type || !enrollable(at).includes(type)) throw new AppError(400, 'error.session', 'This method cannot be set up here');
  if (type === 'passkey') {
    const next: LoginState = { ...state, enrolling: { type, factorId: '' } };
    await deps.loginState.put(ic.view.uid, next);
    return render(deps, ctx, ic, at, { state: next });
  }
  if (type === 'totp') {
    const totp = await deps.factors.startTotp(user.id, { accountName: user.email, issuer: ic.tenant.displayName });
    const next: LoginState = { ...state, enrolling: { type, factorId: totp.factorId } };
    await deps.loginState.put(ic.view.uid, next);
    return render(deps, ctx, ic, at, { state: next });
  }
  let destination = user.email;
  if (type !== 'email') {
    if (form.phone === undefined && !state.enrolling?.destination) return render(deps, ctx, ic, at, { phoneType: type });
    const screened = screenPhoneNumber(form.phone ?? state.enrolling?.destination, type, ic.tenant.policy.mfa);
    if (!screened.ok) {
      if (screened.reason !== 'malformed') return refusePhoneNumber(deps, ctx, ic, at, { ...state, enrolling: undefined }, screened);
      ctx.status = 400;
      return render(deps, ctx, ic, at, {
        state: { ...state, enrolling: undefined },
        phoneType: type,
        error: deps.renderer.translate('enroll.phone.invalid', locale),
      });
    }
    destination = screened.phone;
  }
  const factor =
    state.enrolling?.type === type && state.enrolling.destination === destination
      ? { id: state.enrolling.factorId }
      : await deps.factors.addPending(user.id, type, type === 'email' ? {} : { phone: destination });
  const next: LoginState = { ...state, enrolling: { type, factorId: factor.id, destination } };
  await deps.loginState.put(ic.view.uid, next);
  const outcome = await deps.secondFactors.get(type).issue!(factorScope(ctx, ic, user, 'enroll'), destination);
  if (!outcome.ok && outcome.refused) {
    await deps.loginState.put(ic.view.uid, { ...next, enrolling: undefined });
    return refusePhoneNumber(deps, ctx, ic, at, { ...next, enrolling: undefined }, outcome.refused);
  }
  if (!outcome.ok) {
    ctx.status = outcome.reason === 'number-refused' ? 400 : 429;
    if (outcome.retryAfterSeconds) ctx.set('Retry-After', String(outcome.retryAfterSeconds));
    const retry = outcome.reason === 'number-refused' ? { ...next, enrolling: undefined } : next;
    if (retry !== next) await deps.loginState.put(ic.view.uid, retry);
    return render(deps, ctx, ic, at, {
      state: retry,
      error: sendRefusal(deps, locale, outcome),
      notSent: true,
      ...(retry !== next && type !== 'email' ? { phoneType: type } : {}),
    });
  }
  await auditSignIn(deps, ctx, ic, user.id, 'mfa.code_sent', { channel: type, purpose: 'enroll' });
  return render(deps, ctx, ic, at, { state: next, notice: deps.renderer.translate('mfa.sent', locale, { destination: maskDestination(destination) }) });
}

/** a number that may not get codes: said at the number's field (400), written to the audit log masked, nothing sent */
async function refusePhoneNumber(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  at: StepAt,
  state: LoginState,
  refused: PhoneRefused,
): Promise<StepOutcome> {
  const locale = ctx.state.locale;
  await auditSignIn(deps, ctx, ic, state.userId, 'factor.phone_refused', { ...phoneRefusalDetails(refused), purpose: 'enroll' });
  ctx.status = 400;
  const error = phoneRefusalMessage((key, vars) => deps.renderer.translate(key, locale, vars), refused);
  return render(deps, ctx, ic, at, { state, phoneType: refused.channel, error });
}

/** the first code proves the factor works: it is confirmed, and counts as this sign-in's second factor */
export async function confirm(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const { state, user } = at;
  const enrolling = state.enrolling;
  if (!enrolling) throw new AppError(400, 'error.session', 'Choose a method to set up first');
  const form = readForm(ctx, enrollConfirmForm);
  // the same verify path as the sign-in step and the account page's (src/factors/second-factors.ts)
  const checked = await deps.secondFactors.get(enrolling.type).confirm!(factorScope(ctx, ic, user, 'enroll'), enrolling.factorId, form.code);
  if (!checked.ok) {
    return render(deps, ctx, ic, at, { error: await refusedProof(deps, ctx, ic, user.id, checked, { factor: enrolling.type, purpose: 'enroll' }) });
  }
  return enrolled(deps, ctx, ic, at, enrolling.type, enrolling.type, form);
}

/** the browser's new passkey (its answer to the options of the passkey page), named by the user */
export async function confirmPasskey(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const { state, user } = at;
  if (state.enrolling?.type !== 'passkey') throw new AppError(400, 'error.session', 'Choose a method to set up first');
  const form = readForm(ctx, enrollPasskeyForm);
  const name = form.name.trim() || deps.renderer.translate('factor.passkey', ctx.state.locale);
  const created = await deps.secondFactors.get('passkey').enrol!(factorScope(ctx, ic, user, 'enroll'), form.credential, name);
  if (!created.ok) {
    ctx.status = 400;
    return render(deps, ctx, ic, at, {
      error: deps.renderer.translate(created.reason === 'invalid' ? 'passkey.createFailed' : `passkey.${created.reason}`, ctx.state.locale),
    });
  }
  return enrolled(deps, ctx, ic, at, 'passkey', created.method, form);
}

/** a factor set up during sign-in: audited and emailed, and this sign-in's second factor */
async function enrolled(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  at: StepAt,
  type: FactorType,
  method: Exclude<AuthMethod, 'pwd' | 'fed' | 'upstream-mfa'>,
  form: RememberDeviceFields,
): Promise<StepOutcome> {
  const { state, user } = at;
  await auditSignIn(deps, ctx, ic, user.id, 'factor.added', { type, during: 'sign-in' });
  sendInBackground(deps.logger, 'factor-added email', () => deps.notifications.factorAdded(user, type));
  const remember = rememberRequest(ctx, form);
  await deps.users.recordSecondFactor(user.id);
  // a user without recovery codes gets them now, shown once before the sign-in goes on
  const recoveryCodesPending = (await deps.factors.recoveryCodes.remaining(user.id)) === 0;
  const done: LoginState = {
    ...state,
    methods: [...state.methods, method],
    enrolling: undefined,
    ...(remember ? { rememberDevice: remember } : {}),
    ...(recoveryCodesPending ? { recoveryCodesPending } : {}),
  };
  return { kind: 'progress', state: done };
}
