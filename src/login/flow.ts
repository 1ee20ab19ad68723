import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import type { LoginState } from './login-state.ts';
import { SignInRefused, type FirstFactor, type StepAction, type StepOutcome } from './step-outcome.ts';
import { decideNextStep, type SignInProgress, type SignInStep } from '../policy/sign-in-steps.ts';
import { PASSKEY_METHODS, authenticationResult, secondFactorCompleted } from '../policy/authentication-context.ts';
import { AppError } from '../lib/errors.ts';
import type { User } from '../accounts/users.ts';
import { secondFactorDue } from './second-factor-due.ts';
import { settleDevice } from './device-trust.ts';
import { markKnownBrowser, signInFacts } from './known-browser.ts';
import * as signIn from './sign-in.ts';
import * as secondFactor from './second-factor.ts';
import * as enrollment from './enroll-factor.ts';
import * as recoveryCodes from './recovery-codes.ts';
import * as changePassword from './change-password.ts';
import * as federationLink from './federation-link.ts';
import { followProviderHint } from './federation-entry.ts';

/**
 * The hosted sign-in as one flow. The order of its steps is decideNextStep's
 * (src/policy/sign-in-steps.ts); this module is the only one that runs a step. Each step shows
 * its page, or acts on its form and hands back a StepOutcome; the flow then checks the account
 * again, asks which step is next, and runs it, until the sign-in finishes.
 */

/** the step module that shows each step; 'enter' runs once when the flow arrives at the step */
const STEPS = {
  'link-identity': { show: federationLink.show },
  'second-factor': { show: secondFactor.show, enter: secondFactor.enter },
  enroll: { show: enrollment.show },
  'recovery-codes': { show: recoveryCodes.show, enter: recoveryCodes.enter },
  'change-password': { show: changePassword.show },
} as const satisfies Record<Exclude<SignInStep['step'], 'refuse' | 'finish'>, { show: unknown; enter?: unknown }>;

type ShownStep = keyof typeof STEPS;

function nextStep(state: LoginState, account: SignInProgress['account']): SignInStep {
  return decideNextStep({
    account,
    linkPending: state.linking !== undefined,
    secondFactor: state.secondFactor,
    secondFactorDone: secondFactorCompleted(state.methods),
    passkeyDone: state.methods.some((m) => (PASSKEY_METHODS as readonly string[]).includes(m)),
    recoveryCodesPending: state.recoveryCodesPending === true,
    passwordChange: state.changeReason,
  });
}

/**
 * The step the sign-in is at, with its user read afresh: still active and not locked at this
 * moment (whatever held when the first factor was checked), else the sign-in ends with
 * SignInRefused (audited by the guard with the step it was at).
 */
async function where(deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState, admitted?: User): Promise<{ step: SignInStep; user: User }> {
  const at = nextStep(state, 'usable');
  // already read and admitted earlier in this request (a step's form): no second read
  if (admitted?.id === state.userId) return { step: at, user: admitted };
  const outcome = await deps.guard.admit(state.userId, { ...signInFacts(deps, ctx), step: at.step });
  const step = outcome.ok ? at : nextStep(state, outcome.reason);
  if (step.step !== 'refuse' && outcome.ok) return { step, user: outcome.user };
  await deps.loginState.clear(ic.view.uid);
  ctx.state.log.info({ tenantId: ic.tenant.id, reason: step.step === 'refuse' ? step.reason : 'refused', at: at.step }, 'sign-in refused at a later step');
  throw new SignInRefused(ic);
}

/** the sign-in this request continues: one stored before its second factor was decided is not continued */
function storedState(ic: InteractionContext): LoginState {
  const state = ic.state;
  if (!state?.secondFactor) throw new AppError(400, 'error.session', 'This step is not expected now');
  return state;
}

/** GET of the interaction at its login prompt: the page of the step the sign-in is at */
export async function showCurrent(deps: LoginDeps, ctx: Context, ic: InteractionContext): Promise<void> {
  if (!ic.state) {
    const stepUp = await signIn.stepUpOnSession(deps, ctx, ic);
    if (stepUp) return settle(deps, ctx, ic, stepUp);
    if (await followProviderHint(deps, ctx, ic)) return;
    return signIn.renderSignIn(deps, ctx, ic);
  }
  const state = storedState(ic);
  const { step, user } = await where(deps, ctx, ic, state);
  if (step.step === 'finish' || step.step === 'refuse') return proceed(deps, ctx, ic, state, user);
  return settle(deps, ctx, ic, await STEPS[step.step].show(deps, ctx, ic, { state, user, step }), user);
}

/** A form of the step `expected`: refused when the sign-in is not at that step; a locked or deactivated account's form is not looked at. */
export async function act(deps: LoginDeps, ctx: Context, ic: InteractionContext, expected: ShownStep, action: StepAction): Promise<void> {
  const state = storedState(ic);
  const { step, user } = await where(deps, ctx, ic, state);
  if (step.step !== expected) throw new AppError(400, 'error.session', 'This step is not expected now');
  return settle(deps, ctx, ic, await action(deps, ctx, ic, { state, user, step }), user);
}

/** what the flow does with a step's outcome (`admitted`: the user this request already read and admitted) */
export async function settle(deps: LoginDeps, ctx: Context, ic: InteractionContext, outcome: StepOutcome, admitted?: User): Promise<void> {
  switch (outcome.kind) {
    case 'shown':
      return;
    case 'progress':
      return proceed(deps, ctx, ic, outcome.state, admitted);
    case 'identified':
      return begin(deps, ctx, ic, outcome.first);
  }
}

/** after a first factor: the second factor this sign-in owes, then on */
async function begin(deps: LoginDeps, ctx: Context, ic: InteractionContext, first: FirstFactor): Promise<void> {
  return proceed(deps, ctx, ic, await secondFactorDue(deps, ctx, ic, first));
}

/** The sign-in moved on: the account checked again, the next step entered, or the application given its answer. */
async function proceed(deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState, admitted?: User): Promise<void> {
  const { step, user } = await where(deps, ctx, ic, state, admitted);
  if (step.step === 'finish') return finish(deps, ctx, ic, state, user);
  if (step.step === 'refuse') throw new SignInRefused(ic);
  await deps.loginState.put(ic.view.uid, state);
  const entry = STEPS[step.step];
  const run = 'enter' in entry ? entry.enter : entry.show;
  return settle(deps, ctx, ic, await run(deps, ctx, ic, { state, user, step }), user);
}

/** acr and amr say exactly what this sign-in completed: never mfa without a second factor */
async function finish(deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState, user: User): Promise<void> {
  await deps.loginState.clear(ic.view.uid);
  await settleDevice(deps, ctx, ic, state, user);
  markKnownBrowser(deps, ctx, user.id);
  const { acr, amr } = authenticationResult(state.methods);
  ctx.state.log.info({ tenantId: ic.tenant.id, userId: state.userId, acr }, 'sign-in succeeded');
  return deps.host.interactionFinished(ctx, { login: { accountId: state.userId, acr, amr, remember: true } });
}
