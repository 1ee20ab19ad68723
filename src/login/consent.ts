import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { pageData } from './context.ts';
import { readForm } from '../http/form.ts';
import { consentForm } from './forms.ts';

export function renderConsent(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  const locale = ctx.state.locale;
  const details = ic.view.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  const scopes = [...(details.missingOIDCScope ?? []), ...Object.values(details.missingResourceScopes ?? {}).flat()];
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    'consent',
    pageData(ic, {
      title: deps.renderer.translate('consent.title', locale),
      action: `/interaction/${ic.view.uid}/consent`,
      csrf: deps.csrf.token(ctx),
      scopes,
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
