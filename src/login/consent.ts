import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { pageData } from './context.ts';
import { readForm } from '../http/form.ts';
import { consentForm } from './forms.ts';
import { askedByRequest, consentItems } from '../policy/claims.ts';

export async function renderConsent(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  // a first-party application shows no consent page, also when it asks for one (prompt=consent):
  // its grant already holds what it asks (src/oidc/grants.ts); a native app's check still asks
  if (ic.client.firstParty && !ic.view.prompt.reasons.includes('native_client_prompt')) {
    const grantId = await deps.host.grantConsent(ctx, ic.view);
    return deps.host.interactionFinished(ctx, { consent: { grantId } });
  }
  const locale = ctx.state.locale;
  const details = ic.view.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  // what the application asks and the user has not yet allowed: the claims of its scopes and
  // the claims it asks one by one (src/policy/claims.ts), each in the page's language
  const missing = consentItems({
    scopes: details.missingOIDCScope ?? [],
    claims: details.missingOIDCClaims ?? [],
    resourceScopes: Object.values(details.missingResourceScopes ?? {}).flat(),
  });
  // nothing new to allow (a native app's check asks every time): the whole request
  const items = (missing.length ? missing : consentItems(askedByRequest(ic.view.params))).map((item) =>
    'key' in item ? deps.renderer.translate(item.key, locale) : item.text,
  );
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    'consent',
    pageData(ic, {
      title: deps.renderer.translate('consent.title', locale),
      action: `/interaction/${ic.view.uid}/consent`,
      csrf: deps.csrf.token(ctx),
      items,
    }),
    locale,
  );
}

export async function submitConsent(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  const { decision } = readForm(ctx, consentForm);
  if (decision !== 'allow') {
    return deps.host.interactionFinished(ctx, { error: 'access_denied', error_description: 'The user denied access' });
  }
  const grantId = await deps.host.grantConsent(ctx, ic.view);
  return deps.host.interactionFinished(ctx, { consent: { grantId } });
}

export async function abortInteraction(deps: LoginDeps, ctx: Context) {
  return deps.host.interactionFinished(ctx, { error: 'access_denied', error_description: 'The user cancelled the sign-in' });
}
