import Router from '@koa/router';
import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { ACCOUNT_PATH, translator } from './context.ts';
import { findSignedIn } from './signed-in.ts';
import { renderOverview } from './overview-page.ts';
import { finishSignIn, isReturnTarget, renderOrganisationForm, startSignIn, type ReturnTarget } from './sign-in-flow.ts';
import { saveRegionalSettings } from './regional-settings.ts';
import { chooseStartPage } from './start-page-change.ts';
import { changeOwnName } from './profile-change.ts';
import { formBody } from '../http/body.ts';
import { finishReauthentication } from './reauthenticate.ts';

const MAX_TENANT_NAME = 64;

/**
 * The account console's own pages at /account: the overview (personal details, regional
 * settings, start page) and the console's sign-in through the hosted login. The security
 * section has its own router (/account/security), as has each later section.
 */
export function createAccountRouter(deps: ConsoleDeps, options: { bodyLimitKb: number }): Router {
  const router = new Router({ prefix: ACCOUNT_PATH });
  const form = [formBody(options.bodyLimitKb), deps.csrf.verify];
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  /** the signed-in user's handler; a browser nobody is signed in to is asked which organisation to sign in to */
  const signedIn = (handler: (ctx: Context, who: SignedIn) => Promise<void>) => async (ctx: Context) => {
    const who = await findSignedIn(deps, ctx);
    if (!who) {
      ctx.status = 401;
      return renderOrganisationForm(deps, ctx, { page: 'account-signed-out', returnTo: 'overview' });
    }
    return handler(ctx, who);
  };

  router.get('/', async (ctx) => {
    const who = await findSignedIn(deps, ctx);
    if (who) return renderOverview(deps, ctx, who);
    // signed out: straight to the hosted login when the organisation is named, else ask for it
    if (ctx.query.tenant !== undefined) return beginSignIn(deps, ctx, 'overview');
    return renderOrganisationForm(deps, ctx, { returnTo: 'overview' });
  });
  router.get('/sign-in', async (ctx) => {
    const target = isReturnTarget(ctx.query.return) ? ctx.query.return : 'start';
    return beginSignIn(deps, ctx, target);
  });
  router.get('/callback', (ctx) => finishSignIn(deps, ctx, finishReauthentication(deps)));
  router.post(
    '/profile',
    ...form,
    signedIn((ctx, who) => changeOwnName(deps, ctx, who, renderOverview)),
  );
  router.post(
    '/regional',
    ...form,
    signedIn((ctx, who) => saveRegionalSettings(deps, ctx, who)),
  );
  router.post(
    '/start-page',
    ...form,
    signedIn((ctx, who) => chooseStartPage(deps, ctx, who)),
  );
  return router;
}

/** the organisation named by ?tenant=; an unknown or missing one is asked again (nothing is redirected) */
async function beginSignIn(deps: ConsoleDeps, ctx: Context, returnTo: ReturnTarget) {
  const raw = typeof ctx.query.tenant === 'string' ? ctx.query.tenant.trim() : '';
  const name = raw.slice(0, MAX_TENANT_NAME);
  const tenant = name ? await deps.tenants.findByName(name.toLowerCase()) : undefined;
  if (!tenant) {
    const t = translator(deps, ctx);
    ctx.status = name ? 404 : 400;
    return renderOrganisationForm(deps, ctx, { returnTo, tenant: name, fieldError: t(name ? 'account.signIn.unknown' : 'account.signIn.missing') });
  }
  return startSignIn(deps, ctx, tenant, returnTo);
}
