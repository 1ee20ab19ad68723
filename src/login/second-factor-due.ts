import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { auditSignIn } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import type { LoginState } from './login-state.ts';
import type { FirstFactor } from './step-outcome.ts';
import { decideSecondFactor } from '../policy/second-factor.ts';
import { stepUpRequestOf } from '../policy/authentication-context.ts';
import type { TenantPolicy } from '../policy/tenant-policy.ts';
import { deliverableFactors } from '../policy/deliverable-factors.ts';
import type { SecondFactorDue } from '../policy/sign-in-steps.ts';
import { AppError } from '../lib/errors.ts';
import { recogniseDevice } from './device-trust.ts';

/** the tenant's policy with only the factors this deployment can deliver (no Twilio: no SMS, no calls), possibly none */
function deliverablePolicy(deps: LoginDeps, policy: TenantPolicy): TenantPolicy {
  const factors = deliverableFactors(policy.mfa.factors, { phone: deps.phone.transport !== 'none' });
  return { ...policy, mfa: { ...policy.mfa, factors } };
}

/**
 * Right after the first factor: what second factor this sign-in owes (decideSecondFactor, from
 * the tenant's policy, the user's factors, the request, the network and a remembered device),
 * written into the state the flow goes on with. A strict network's denial ends the sign-in here,
 * and so does a second factor the tenant requires when this deployment can deliver none of the
 * types it allows (a user who holds a usable factor is challenged as ever; one who does not enrols
 * a deliverable type, or is refused when there is none).
 */
export async function secondFactorDue(deps: LoginDeps, ctx: Context, ic: InteractionContext, first: FirstFactor): Promise<LoginState> {
  const facts = requestFacts(ctx);
  const initial = first.state;
  const [{ types: userFactors, preferred }, account, device] = await Promise.all([
    deps.factors.confirmedSummary(initial.userId),
    deps.users.findRecent(initial.userId),
    // a step-up is asked on purpose: a remembered device never spares it
    first.stepUp ? undefined : recogniseDevice(deps, ctx, ic, initial.userId, first.lastSecondFactorAt),
  ]);
  const decision = decideSecondFactor({
    policy: deliverablePolicy(deps, ic.tenant.policy),
    userFactors,
    ...(preferred ? { preferred } : {}),
    ...(account ? { role: account.role } : {}),
    request: { ...stepUpRequestOf(ic.view.params), ip: facts.ip },
    ...(device ? { device: device.trust } : {}),
    now: deps.clock.now(),
  });
  ctx.state.log.debug({ decision }, 'second factor decision');
  if (decision.action === 'deny') {
    await auditSignIn(deps, ctx, ic, initial.userId, 'signin.denied_network');
    await deps.loginState.clear(ic.view.uid);
    throw new AppError(403, 'error.network', 'Sign-in is not allowed from this network');
  }
  // a federated sign-in whose upstream second factor the tenant counts owes none of ours (src/policy/federation.ts)
  const owed = decision.action !== 'none' && !first.upstreamFactor;
  if (owed && decision.action === 'enroll' && decision.factors.length === 0) {
    await auditSignIn(deps, ctx, ic, initial.userId, 'signin.refused_no_factor', { allowed: ic.tenant.policy.mfa.factors, reasons: decision.reasons });
    await deps.loginState.clear(ic.view.uid);
    throw new AppError(403, 'error.noDeliverableFactor', 'Your organisation requires a second sign-in step that this service cannot provide');
  }
  const due: SecondFactorDue = !owed
    ? { action: 'none' }
    : decision.action === 'challenge' && decision.thenEnroll
      ? { action: 'challenge', factors: decision.factors, thenEnroll: decision.thenEnroll }
      : { action: decision.action, factors: decision.factors };
  return { ...initial, secondFactor: due, knownDevice: first.stepUp ? true : (device?.known ?? false) };
}
