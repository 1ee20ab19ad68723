import type { Context } from 'koa';
import type { LoginDeps } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import type { UpstreamProvider } from '../federation/providers.ts';
import type { failureOf } from '../federation/upstream-client.ts';
import type { FirstSignInRefusal } from '../policy/federation.ts';
import type { AuditAction } from '../accounts/audit.ts';

/** why a federated sign-in ended without signing in: the page's message and the audit event's reason */
export type FederationProblem =
  | ReturnType<typeof failureOf>['failure']
  | 'state-mismatch'
  | 'provider-unknown'
  | FirstSignInRefusal
  | 'deactivated'
  | 'invited'
  | 'locked';

const MESSAGE_OF: Record<FederationProblem, string> = {
  unreachable: 'unreachable',
  timeout: 'timeout',
  'error-response': 'errorResponse',
  'wrong-issuer': 'untrusted',
  'bad-signature': 'untrusted',
  'invalid-response': 'untrusted',
  'state-mismatch': 'state',
  'provider-unknown': 'state',
  'unverified-email': 'unverifiedEmail',
  'no-email': 'unverifiedEmail',
  'no-account': 'noAccount',
  'domain-not-allowed': 'noAccount',
  'account-inactive': 'cannotSignIn',
  'account-without-password': 'cannotLink',
  'already-linked': 'cannotLink',
  deactivated: 'cannotSignIn',
  invited: 'cannotSignIn',
  locked: 'cannotSignIn',
};

/**
 * Ends a federated sign-in that did not sign in: a clear page (never a 5xx), an audit event
 * and a log line with the reason. The interaction stays usable: the page links back to it.
 */
export async function federationFailed(
  deps: LoginDeps,
  ctx: Context,
  where: { tenantId?: string; uid?: string; provider?: Pick<UpstreamProvider, 'id' | 'label' | 'slug'>; userId?: string },
  problem: FederationProblem,
  detail?: string,
) {
  const locale = ctx.state.locale;
  const refused = !(
    ['unreachable', 'timeout', 'error-response', 'wrong-issuer', 'bad-signature', 'invalid-response', 'state-mismatch', 'provider-unknown'] as string[]
  ).includes(problem);
  const action: AuditAction = refused ? 'federation.refused' : 'federation.failed';
  // a callback whose state names no attempt belongs to no known tenant: its event is the deployment's
  await deps.audit.record({
    action,
    ...(where.tenantId ? { tenantId: where.tenantId } : {}),
    actor: where.userId ? `user:${where.userId}` : 'anonymous',
    ...(where.userId ? { userId: where.userId } : {}),
    ...requestFacts(ctx),
    details: { reason: problem, ...(where.provider ? { provider: where.provider.slug } : {}), ...(detail ? { detail } : {}) },
  });
  ctx.state.log.info({ reason: problem, detail, provider: where.provider?.slug }, 'federated sign-in ended');
  if (where.uid) await deps.loginState.clear(where.uid);
  const provider = where.provider?.label ?? deps.renderer.translate('federation.error.theProvider', locale);
  ctx.status = refused ? 403 : 400;
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    'federation-error',
    {
      // the interaction's tenant, when the request found one: the page still shows whose sign-in it is
      ...ctx.state.brand,
      title: deps.renderer.translate('federation.error.title', locale),
      heading: deps.renderer.translate('federation.error.title', locale),
      message: deps.renderer.translate(`federation.error.${MESSAGE_OF[problem]}`, locale, { provider, code: detail ?? '' }),
      code: `federation.${problem}`,
      requestId: ctx.state.requestId,
      // ?form: back to the sign-in form even when the request's provider_hint would go straight upstream again
      ...(where.uid ? { retryLink: `/interaction/${where.uid}?form` } : {}),
    },
    locale,
  );
}
