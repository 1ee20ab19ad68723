import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { pageData } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import type { LoginState } from './login-state.ts';
import type { UpstreamProvider } from '../federation/providers.ts';
import { continueFederated } from './federated-user.ts';
import { federationFailed } from './federation-failure.ts';
import { shown, type StepAt, type StepOutcome } from './step-outcome.ts';
import { readForm } from '../http/form.ts';
import { federationLinkForm } from './forms.ts';

/** "An account with this email exists: enter its password once to link it." */
function render(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  state: LoginState,
  provider: Pick<UpstreamProvider, 'label'>,
  options: { error?: string } = {},
): StepOutcome {
  const locale = ctx.state.locale;
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    'federation-link',
    pageData(ic, {
      title: deps.renderer.translate('federation.link.title', locale, { provider: provider.label }),
      providerLabel: provider.label,
      email: state.linking?.email ?? '',
      action: `/interaction/${ic.view.uid}/federation/link`,
      abortAction: `/interaction/${ic.view.uid}/abort`,
      csrf: deps.csrf.token(ctx),
      ...(options.error ? { error: options.error } : {}),
    }),
    locale,
  );
  return shown;
}

/** the link page, when the flow arrives at the step or for a GET of the interaction while it is pending */
export async function show(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const { state } = at;
  const provider = state.linking ? await deps.federation.providers.find(ic.client.tenantId, state.linking.providerId) : undefined;
  if (!provider) {
    await federationFailed(deps, ctx, { tenantId: ic.client.tenantId, uid: ic.view.uid }, 'provider-unknown');
    return shown;
  }
  return render(deps, ctx, ic, state, provider);
}

/**
 * The password proof of an existing user, under the tenant's lockout policy like the sign-in
 * form (same counters, same generic message), then the identity is linked and the sign-in
 * goes on as a federated one.
 */
export async function submit(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const { state } = at;
  const linking = state.linking!;
  const provider = await deps.federation.providers.find(ic.client.tenantId, linking.providerId);
  if (!provider) {
    await federationFailed(deps, ctx, { tenantId: ic.client.tenantId, uid: ic.view.uid }, 'provider-unknown');
    return shown;
  }
  const { password } = readForm(ctx, federationLinkForm);
  const locale = ctx.state.locale;
  if (!password) {
    ctx.status = 400;
    return render(deps, ctx, ic, state, provider, { error: deps.renderer.translate('federation.link.missing', locale) });
  }
  // the email is the one the upstream verified and the user it named, never one the form sends
  const outcome = await deps.guard.attempt(ic.tenant, linking.email, password, requestFacts(ctx));
  if (!outcome.ok || outcome.user.id !== state.userId) {
    ctx.status = 401;
    return render(deps, ctx, ic, state, provider, { error: deps.renderer.translate('federation.link.failed', locale) });
  }
  const identity = { providerId: provider.id, issuer: linking.issuer, subject: linking.subject, email: linking.email };
  await deps.federation.identities.link(outcome.user.id, identity);
  await deps.audit.record({
    action: 'federation.linked',
    tenantId: outcome.user.tenantId,
    userId: outcome.user.id,
    actor: `user:${outcome.user.id}`,
    ...requestFacts(ctx),
    details: { provider: provider.slug },
  });
  return continueFederated(deps, ctx, ic, provider, outcome.user, identity, { upstreamFactor: linking.upstreamFactor, methods: ['pwd', 'fed'] });
}
