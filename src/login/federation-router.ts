import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { LoginDeps } from './context.ts';
import { loadInteraction } from './context.ts';
import { completeFederation } from './federation.ts';
import { federationCallback, startFederation } from './federation-entry.ts';
import * as federationLink from './federation-link.ts';
import * as flow from './flow.ts';
import { FEDERATION_CALLBACK_PATH } from '../federation/services.ts';
import { AppError } from '../lib/errors.ts';
import { readForm } from '../http/form.ts';
import { federationStartForm } from './forms.ts';

const PROVIDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The federated steps of the hosted sign-in, below /interaction/<uid>: a provider's button,
 * the return from the provider (after the callback below), and the password proof that links
 * an existing account.
 */
export function addFederationRoutes(router: Router, deps: LoginDeps, form: Middleware[]) {
  const loginStep = async (ctx: Context) => {
    const ic = await loadInteraction(deps, ctx);
    if (ic.view.prompt.name !== 'login') throw new AppError(400, 'error.session', 'This step is not expected now');
    return ic;
  };
  router.post('/:uid/federation/start', ...form, async (ctx) => {
    const ic = await loginStep(ctx);
    const { provider } = readForm(ctx, federationStartForm);
    if (!PROVIDER_ID.test(provider)) throw new AppError(400, 'error.session', 'Choose a provider from the sign-in page');
    return startFederation(deps, ctx, ic, provider);
  });
  router.get('/:uid/federation/return', async (ctx) => {
    const ic = await loginStep(ctx);
    return flow.settle(deps, ctx, ic, await completeFederation(deps, ctx, ic));
  });
  router.post('/:uid/federation/link', ...form, async (ctx) => flow.act(deps, ctx, await loginStep(ctx), 'link-identity', federationLink.submit));
}

/** $ISSUER/federation/callback, the one redirect URI to register at every upstream provider */
export function createFederationCallbackRouter(deps: LoginDeps): Router {
  const router = new Router();
  router.get(FEDERATION_CALLBACK_PATH, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    return federationCallback(deps, ctx);
  });
  return router;
}
