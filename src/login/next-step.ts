import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { requestFacts } from './context.ts';
import type { LoginState } from './login-state.ts';
import { decideSecondFactor } from '../policy/second-factor.ts';
import { authenticationResult, stepUpRequestOf } from '../policy/authentication-context.ts';
import type { FactorType, TenantPolicy } from '../policy/tenant-policy.ts';
import { AppError } from '../lib/errors.ts';
import { renderSecondFactor, sendCode } from './second-factor.ts';
import { renderEnrollment } from './enroll-factor.ts';
import { renderChangePassword } from './change-password.ts';
import { recogniseDevice, settleDevice } from './device-trust.ts';
import type { User } from '../accounts/users.ts';

/**
 * A sign-in refused at a later step because the account was locked or deactivated meanwhile: the
 * login router answers it with the page the password step shows for a locked account.
 */
export class SignInRefused extends Error {
  readonly ic: InteractionContext;
  constructor(ic: InteractionContext) {
    super('The sign-in was refused at a later step');
    this.name = 'SignInRefused';
    this.ic = ic;
  }
}

/**
 * Every step that completes a sign-in, or acts on one past its password, gets its user here:
 * read afresh, still active and not locked at this moment (whatever held when the password or
 * the upstream provider was checked), else the sign-in in progress ends with SignInRefused.
 */
export async function admitUser(deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState): Promise<User> {
  // the step this request was at: the pending one, else the password or federated step that began the sign-in
  const step = ic.state?.pending ?? (state.methods.includes('fed') ? 'federation' : 'password');
  const outcome = await deps.guard.admit(state.userId, { ...requestFacts(ctx), step });
  if (outcome.ok) return outcome.user;
  await deps.loginState.clear(ic.view.uid);
  ctx.state.log.info({ tenantId: ic.tenant.id, reason: outcome.reason, step }, 'sign-in refused at a later step');
  throw new SignInRefused(ic);
}

/** the tenant's policy with only the factors this deployment can deliver (no Twilio: no SMS, no calls) */
function deliverablePolicy(deps: LoginDeps, policy: TenantPolicy): TenantPolicy {
  if (deps.phone.transport !== 'none') return policy;
  const factors = policy.mfa.factors.filter((f) => f !== 'sms' && f !== 'voice');
  return { ...policy, mfa: { ...policy.mfa, factors: factors.length ? factors : policy.mfa.factors } };
}

/**
 * After the password (or, for a step-up, the session's password): decide whether a second
 * factor is needed, and lead to it, to its enrollment, or on.
 */
export async function beginSecondFactor(
  deps: LoginDeps, ctx: Context, ic: InteractionContext, initial: LoginState,
  options: { lastSecondFactorAt?: Date | null; stepUp?: boolean; upstreamFactor?: boolean } = {},
) {
  const facts = requestFacts(ctx);
  const [{ types: userFactors, preferred }, device] = await Promise.all([
    deps.factors.confirmedSummary(initial.userId),
    // a step-up is asked on purpose: a remembered device never spares it
    options.stepUp ? undefined : recogniseDevice(deps, ctx, ic, initial.userId, options.lastSecondFactorAt),
  ]);
  const state: LoginState = { ...initial, knownDevice: options.stepUp ? true : device?.known ?? false };
  const decision = decideSecondFactor({
    policy: deliverablePolicy(deps, ic.tenant.policy),
    userFactors, ...(preferred ? { preferred } : {}),
    request: { ...stepUpRequestOf(ic.view.params), ip: facts.ip },
    ...(device ? { device: device.trust } : {}),
    now: deps.clock.now(),
  });
  ctx.state.log.debug({ decision }, 'second factor decision');
  switch (decision.action) {
    case 'deny':
      await deps.audit.record({ tenantId: ic.tenant.id, userId: state.userId, actor: `user:${state.userId}`, action: 'signin.denied_network', ...facts });
      await deps.loginState.clear(ic.view.uid);
      throw new AppError(403, 'error.network', 'Sign-in is not allowed from this network');
    case 'none':
      return advance(deps, ctx, ic, state);
    case 'challenge':
    case 'enroll':
      // a federated sign-in whose upstream second factor the tenant counts (src/policy/federation.ts)
      if (options.upstreamFactor) return advance(deps, ctx, ic, state);
  }
  switch (decision.action) {
    case 'challenge': {
      const next: LoginState = { ...state, pending: 'second-factor', factors: decision.factors };
      await deps.loginState.put(ic.view.uid, next);
      const first = decision.factors[0]!;
      // a code factor shown first gets its code at once; the others when the user picks them
      if (first !== 'totp') return sendCode(deps, ctx, ic, next, first);
      return renderSecondFactor(deps, ctx, ic, next, { factor: first });
    }
    case 'enroll': {
      const next: LoginState = { ...state, pending: 'enroll', enrollable: decision.factors as FactorType[] };
      await deps.loginState.put(ic.view.uid, next);
      return renderEnrollment(deps, ctx, ic, next);
    }
  }
}

/** A second factor was just completed: remember when, for the re-check period of remembered devices. */
export async function secondFactorDone(deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState) {
  await deps.users.recordSecondFactor(state.userId);
  return advance(deps, ctx, ic, state);
}

/**
 * Once the second factor is settled: the forced password change, if any, then the application.
 * Every completion of a sign-in comes through here, and is admitted again first.
 */
export async function advance(deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState) {
  const user = await admitUser(deps, ctx, ic, state);
  if (state.changeReason) {
    await deps.loginState.put(ic.view.uid, { ...state, pending: 'change-password' });
    return renderChangePassword(deps, ctx, ic, { reason: state.changeReason });
  }
  await deps.loginState.clear(ic.view.uid);
  return finishLogin(deps, ctx, ic, state, user);
}

/** acr and amr say exactly what this sign-in completed: never mfa without a second factor */
async function finishLogin(deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState, user: User) {
  await settleDevice(deps, ctx, ic, state, user);
  const { acr, amr } = authenticationResult(state.methods);
  ctx.state.log.info({ tenantId: ic.tenant.id, userId: state.userId, acr }, 'sign-in succeeded');
  return deps.host.interactionFinished(ctx, { login: { accountId: state.userId, acr, amr, remember: true } });
}
