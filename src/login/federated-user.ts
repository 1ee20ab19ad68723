import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { shown, type StepOutcome } from './step-outcome.ts';
import { federationFailed, type FederationProblem } from './federation-failure.ts';
import type { LoginState } from './login-state.ts';
import type { UpstreamProvider } from '../federation/providers.ts';
import type { UpstreamIdentity } from '../federation/identities.ts';
import { decideFederatedAccess } from '../policy/federation.ts';
import { signInFacts } from './known-browser.ts';
import type { User } from '../accounts/users.ts';
import { epochSeconds } from '../lib/clock.ts';

/*
 * A federated user identified (by the return from the provider, or after the link step proved
 * the account's password): the shared end of both, handed to the flow as a first factor.
 */
/** a federated sign-in that ends on the failure page */
export async function failed(
  deps: LoginDeps,
  ctx: Context,
  where: Parameters<typeof federationFailed>[2],
  problem: FederationProblem,
  detail?: string,
): Promise<StepOutcome> {
  await federationFailed(deps, ctx, where, problem, detail);
  return shown;
}

/**
 * A federated user is identified: the same rules as a password sign-in follow (deactivation,
 * lockout, then network and second factor through the flow), except that the
 * upstream's own second factor stands in for ours when the provider counts it.
 */
export async function continueFederated(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  provider: UpstreamProvider,
  user: User,
  identity: UpstreamIdentity,
  options: { upstreamFactor: boolean; methods: LoginState['methods'] },
): Promise<StepOutcome> {
  const where = { tenantId: provider.tenantId, uid: ic.view.uid, provider, userId: user.id };
  if (user.tenantId !== ic.client.tenantId) return failed(deps, ctx, where, 'no-account');
  const lockedUntil = await deps.guard.lockedUntil(user, signInFacts(deps, ctx));
  const access = decideFederatedAccess(user, lockedUntil, deps.clock.now());
  if (!access.allow) return failed(deps, ctx, where, access.reason);
  await Promise.all([deps.federation.identities.touch(identity), deps.users.recordLogin(user.id)]);
  await deps.audit.record({
    action: 'federation.succeeded',
    tenantId: user.tenantId,
    userId: user.id,
    actor: `user:${user.id}`,
    ...requestFacts(ctx),
    details: { provider: provider.slug, upstreamFactor: options.upstreamFactor },
  });
  const methods: LoginState['methods'] = [...options.methods, ...(options.upstreamFactor ? ['upstream-mfa' as const] : [])];
  return {
    kind: 'identified',
    first: {
      state: { userId: user.id, passwordAt: epochSeconds(deps.clock), methods, secondFactor: { action: 'none' } },
      lastSecondFactorAt: await deps.federation.identities.lastSecondFactorAt(user.id),
      upstreamFactor: options.upstreamFactor,
    },
  };
}
