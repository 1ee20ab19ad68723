import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { auditSignIn, factorScope, pageData } from './context.ts';
import type { LoginState } from './login-state.ts';
import { shown, type StepAt, type StepOutcome } from './step-outcome.ts';
import type { AuthMethod } from '../policy/authentication-context.ts';
import { FACTOR_TYPES, type FactorType } from '../policy/tenant-policy.ts';
import { phoneRefusalDetails } from '../factors/phone-number.ts';
import { destinationOf, isCodeChannel, maskDestination } from './factor-destinations.ts';
import { refusedProof, sendRefusal } from './code-attempts.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import type { User } from '../accounts/users.ts';
import { AppError } from '../lib/errors.ts';
import { rememberOffer, rememberRequest } from './device-trust.ts';
import { readForm } from '../http/form.ts';
import { passkeyAnswerForm, secondFactorForm, sendCodeForm } from './forms.ts';
import { passkeyForm } from '../http/passkey-form.ts';
import type { ProofCheck } from '../factors/factor.ts';
import type { RememberDeviceFields } from './forms.ts';

/**
 * The second-factor step: the user proves a factor they have (the preferred one shown first,
 * the others and a recovery code one link away). A code factor gets its code when the step is
 * entered or when the user picks it.
 */
type Shown = FactorType | 'recovery';

function offeredFactors(at: StepAt): FactorType[] {
  return at.step.step === 'second-factor' ? at.step.factors : [];
}

function shownFactor(at: StepAt, requested: unknown): Shown {
  if (requested === 'recovery') return 'recovery';
  const offered = offeredFactors(at);
  return offered.find((f) => f === requested) ?? offered[0] ?? 'recovery';
}

/** the page; `notSent`: the code just asked for was refused, so the lead claims no sending */
async function render(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  at: StepAt,
  options: { factor?: unknown; error?: string; notice?: string; notSent?: boolean } = {},
): Promise<StepOutcome> {
  const locale = ctx.state.locale;
  const t = (key: string, vars?: Record<string, unknown>) => deps.renderer.translate(key, locale, vars);
  const factor = shownFactor(at, options.factor);
  const destination = isCodeChannel(factor) ? await destinationOf(deps, at.user, factor) : undefined;
  const uid = ic.view.uid;
  const passkey =
    factor === 'passkey'
      ? passkeyForm(deps, locale, {
          action: `/interaction/${uid}/mfa/passkey`,
          ceremony: 'get',
          options: await deps.secondFactors.get('passkey').proofOptions!(factorScope(ctx, ic, at.user, 'signin')),
          button: t('passkey.use'),
          primary: true,
          remember: true,
        })
      : undefined;
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    'second-factor',
    pageData(ic, {
      title: t('mfa.title'),
      factor,
      lead: t(options.notSent && destination ? 'mfa.lead.notSent' : `mfa.lead.${factor}`, { destination: destination ? maskDestination(destination) : '' }),
      codeFactor: isCodeChannel(factor),
      ...(passkey ? { passkey } : {}),
      action: `/interaction/${uid}/mfa`,
      sendAction: `/interaction/${uid}/mfa/send`,
      abortAction: `/interaction/${uid}/abort`,
      csrf: deps.csrf.token(ctx),
      ...rememberOffer(ctx, ic),
      others: [...offeredFactors(at), 'recovery'].filter((f) => f !== factor).map((f) => ({ name: t(`factor.${f}`), href: `/interaction/${uid}?factor=${f}` })),
      ...(options.error ? { error: options.error } : {}),
      ...(options.notice ? { notice: options.notice } : {}),
    }),
    locale,
  );
  return shown;
}

/** the page again (a GET): the factor the link asked for, else the first offered */
export function show(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  return render(deps, ctx, ic, at, { factor: ctx.query.factor });
}

/** arriving at the step: a code factor shown first gets its code at once; the others when the user picks them */
export function enter(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const first = offeredFactors(at)[0];
  if (first && isCodeChannel(first)) return sendCode(deps, ctx, ic, at, first);
  return render(deps, ctx, ic, at, { ...(first ? { factor: first } : {}) });
}

/** the "send a code" form: a code for a code factor the user was offered */
export function send(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const requested = readForm(ctx, sendCodeForm).factor;
  const factor = FACTOR_TYPES.find((f) => f === requested);
  if (!factor) throw new AppError(400, 'error.session', 'Choose a method first');
  return sendCode(deps, ctx, ic, at, factor);
}

async function sendCode(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt, factor: FactorType): Promise<StepOutcome> {
  const locale = ctx.state.locale;
  const { user } = at;
  if (!isCodeChannel(factor) || !offeredFactors(at).includes(factor)) throw new AppError(400, 'error.session', 'This method is not offered for this sign-in');
  const destination = await destinationOf(deps, user, factor);
  if (!destination) throw new AppError(400, 'error.session', 'This method is not set up');
  const outcome = await deps.secondFactors.get(factor).issue!(factorScope(ctx, ic, user, 'signin'), destination);
  if (!outcome.ok && outcome.refused) {
    // a number enrolled before a rule or the tenant's country list came to refuse it
    await auditSignIn(deps, ctx, ic, user.id, 'factor.phone_refused', { ...phoneRefusalDetails(outcome.refused), purpose: 'signin' });
  }
  if (!outcome.ok) {
    ctx.status = outcome.reason === 'number-refused' ? 400 : 429;
    if (outcome.retryAfterSeconds) ctx.set('Retry-After', String(outcome.retryAfterSeconds));
    return render(deps, ctx, ic, at, { factor, error: sendRefusal(deps, locale, outcome), notSent: true });
  }
  await auditSignIn(deps, ctx, ic, user.id, 'mfa.code_sent', { channel: factor });
  return render(deps, ctx, ic, at, { factor, notice: deps.renderer.translate('mfa.sent', locale, { destination: maskDestination(destination) }) });
}

/** The code the user typed for the factor on the page: TOTP, a sent code, or a recovery code. */
export async function submit(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const form = readForm(ctx, secondFactorForm);
  const factor = shownFactor(at, form.factor);
  const { user } = at;
  // the same verify path as the enrolment step and the account page's (src/factors/second-factors.ts)
  const checked = await deps.secondFactors.get(factor).verify(factorScope(ctx, ic, user, 'signin'), form.code);
  return proven(deps, ctx, ic, at, factor, checked, form);
}

/** the browser's answer to the passkey page's options */
export async function submitPasskey(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const form = readForm(ctx, passkeyAnswerForm);
  if (!offeredFactors(at).includes('passkey')) throw new AppError(400, 'error.session', 'This method is not offered for this sign-in');
  const checked = await deps.secondFactors.get('passkey').verify(factorScope(ctx, ic, at.user, 'signin'), form.credential);
  if (!checked.ok && checked.cloneWarning) await auditSignIn(deps, ctx, ic, at.user.id, 'passkey.clone_warning', { purpose: 'signin' });
  return proven(deps, ctx, ic, at, 'passkey', checked, form);
}

async function proven(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  at: StepAt,
  factor: Shown,
  checked: ProofCheck,
  form: RememberDeviceFields,
): Promise<StepOutcome> {
  const { user, state } = at;
  if (!checked.ok) return render(deps, ctx, ic, at, { factor, error: await refusedProof(deps, ctx, ic, user.id, checked, { factor }) });
  const method: AuthMethod = checked.method;
  await auditSignIn(deps, ctx, ic, user.id, 'mfa.succeeded', { method });
  if (method === 'recovery') await recoveryCodeUsed(deps, ctx, ic, user);
  // for the re-check period of remembered devices
  await deps.users.recordSecondFactor(user.id);
  const remember = rememberRequest(ctx, form);
  const next: LoginState = { ...state, methods: [...state.methods, method], ...(remember ? { rememberDevice: remember } : {}) };
  return { kind: 'progress', state: next };
}

async function recoveryCodeUsed(deps: LoginDeps, ctx: Context, ic: InteractionContext, user: User) {
  await auditSignIn(deps, ctx, ic, user.id, 'recovery_code.used');
  const remaining = await deps.factors.recoveryCodes.remaining(user.id);
  sendInBackground(deps.logger, 'recovery-code-used email', () => deps.notifications.recoveryCodeUsed(user, remaining));
}
