import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import type { StepOutcome } from './step-outcome.ts';
import type { LoginState } from './login-state.ts';
import { type UpstreamClaims, failureOf } from '../federation/upstream-client.ts';
import type { UpstreamIdentity } from '../federation/identities.ts';
import { decideFirstSignIn, decideUpstreamSecondFactor } from '../policy/federation.ts';
import { normalizeEmail } from '../accounts/normalize.ts';
import type { User } from '../accounts/users.ts';

import { continueFederated, failed } from './federated-user.ts';

/** The callback, in its interaction: one use of the state, the code exchanged, the person identified. */
export async function completeFederation(deps: LoginDeps, ctx: Context, ic: InteractionContext): Promise<StepOutcome> {
  const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
  const attempt = state ? await deps.federation.attempts.take(state) : undefined;
  const where = { tenantId: ic.client.tenantId, uid: ic.view.uid };
  if (!attempt || attempt.uid !== ic.view.uid || attempt.tenantId !== ic.client.tenantId) return failed(deps, ctx, where, 'state-mismatch');
  const provider = await deps.federation.providers.find(attempt.tenantId, attempt.providerId);
  if (!provider) return failed(deps, ctx, where, 'provider-unknown');
  let claims: UpstreamClaims;
  try {
    const callback = new URL(deps.federation.callbackUrl);
    callback.search = ctx.querystring;
    // a fresh authentication was asked: the upstream's auth_time must not be before the redirect to it
    const maxAge = attempt.fresh ? Math.ceil((deps.clock.now() - attempt.startedAt) / 1000) : undefined;
    claims = await deps.federation.upstream.complete(provider, callback, attempt, maxAge === undefined ? {} : { maxAge });
  } catch (err) {
    const { failure, detail } = failureOf(err);
    return failed(deps, ctx, { ...where, provider }, failure, detail);
  }
  const email = typeof claims.email === 'string' ? normalizeEmail(claims.email).slice(0, 320) : undefined;
  const identity: UpstreamIdentity = { providerId: provider.id, issuer: claims.iss, subject: claims.sub, email };
  const upstreamFactor = decideUpstreamSecondFactor({ amr: provider.mfaAmr, acr: provider.mfaAcr }, claims).counts;
  const linked = await deps.federation.identities.findUser(identity);
  if (linked) return continueFederated(deps, ctx, ic, provider, linked, identity, { upstreamFactor, methods: ['fed'] });

  const verified = claims.email_verified === true && !!email;
  const existing = verified ? await deps.federation.identities.matchByEmail(provider.tenantId, email, provider.id) : undefined;
  const decision = decideFirstSignIn({
    provisionRole: provider.provisionRole,
    domains: provider.domains,
    upstream: { email, emailVerified: claims.email_verified },
    ...(existing ? { existing: { status: existing.user.status, hasPassword: existing.hasPassword, linkedToProvider: existing.linkedToProvider } } : {}),
  });
  switch (decision.action) {
    case 'refuse':
      return failed(deps, ctx, { ...where, provider, ...(existing ? { userId: existing.user.id } : {}) }, decision.reason);
    case 'link-with-password': {
      // the flow shows the link step: the account's password, once
      const pending: LoginState = {
        userId: existing!.user.id,
        passwordAt: 0,
        methods: [],
        secondFactor: { action: 'none' },
        linking: { providerId: provider.id, issuer: identity.issuer, subject: identity.subject, email: email!, upstreamFactor },
      };
      return { kind: 'progress', state: pending };
    }
    case 'provision': {
      const user = await deps.federation.identities.provision(
        provider.tenantId,
        {
          email: email!,
          role: decision.role as User['role'],
          ...(typeof claims.given_name === 'string' ? { firstName: claims.given_name } : {}),
          ...(typeof claims.family_name === 'string' ? { lastName: claims.family_name } : {}),
        },
        identity,
      );
      await deps.audit.record({
        action: 'federation.provisioned',
        tenantId: provider.tenantId,
        userId: user.id,
        actor: 'system',
        ...requestFacts(ctx),
        details: { provider: provider.slug, role: user.role },
      });
      return continueFederated(deps, ctx, ic, provider, user, identity, { upstreamFactor, methods: ['fed'] });
    }
  }
}
