import Router from '@koa/router';
import type { Context } from 'koa';
import type { LoginDeps } from './context.ts';
import { loadInteraction } from './context.ts';
import { renderSignIn, submitPasskey, submitPassword } from './sign-in.ts';
import * as secondFactor from './second-factor.ts';
import * as enrollment from './enroll-factor.ts';
import * as recoveryCodes from './recovery-codes.ts';
import * as changePassword from './change-password.ts';
import * as flow from './flow.ts';
import { SignInRefused } from './step-outcome.ts';
import { renderForgot, submitForgot } from './forgot-password.ts';
import { passwordStrength } from './password-strength.ts';
import { renderConsent, submitConsent, abortInteraction } from './consent.ts';
import { formBody } from '../http/body.ts';
import { AppError } from '../lib/errors.ts';
import { addFederationRoutes } from './federation-router.ts';

/**
 * The hosted sign-in's routes. The steps (one file each) and their order belong to the flow
 * (src/login/flow.ts, over decideNextStep); consent is the provider's own prompt after it, and
 * forgot-password hangs off the sign-in page. Every POST carries a CSRF token and a form body
 * of bounded size.
 */
export function createLoginRouter(deps: LoginDeps, options: { bodyLimitKb: number }): Router {
  const router = new Router({ prefix: '/interaction' });
  const form = [formBody(options.bodyLimitKb), deps.csrf.verify];
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (err) {
      if (!(err instanceof SignInRefused)) throw err;
      // a later step refused (account locked or deactivated meanwhile): the password step's refusal, word for word
      ctx.status = 401;
      await renderSignIn(deps, ctx, err.ic, { error: deps.renderer.translate('signIn.failed', ctx.state.locale) });
    }
  });

  router.get('/:uid', async (ctx) => {
    const ic = await loadInteraction(deps, ctx);
    if (ic.view.prompt.name === 'login') return flow.showCurrent(deps, ctx, ic);
    if (ic.view.prompt.name === 'consent') return renderConsent(deps, ctx, ic);
    throw new AppError(400, 'error.session', `Unsupported step ${ic.view.prompt.name}`);
  });

  router.post('/:uid/login', ...form, async (ctx) => {
    const ic = await loginStep(deps, ctx);
    return flow.settle(deps, ctx, ic, await submitPassword(deps, ctx, ic));
  });

  router.post('/:uid/passkey', ...form, async (ctx) => {
    const ic = await loginStep(deps, ctx);
    return flow.settle(deps, ctx, ic, await submitPasskey(deps, ctx, ic));
  });

  // each step's forms: the flow checks the sign-in is at that step, runs the step, and goes on
  router.post('/:uid/mfa', ...form, async (ctx) => flow.act(deps, ctx, await loginStep(deps, ctx), 'second-factor', secondFactor.submit));
  router.post('/:uid/mfa/passkey', ...form, async (ctx) => flow.act(deps, ctx, await loginStep(deps, ctx), 'second-factor', secondFactor.submitPasskey));
  router.post('/:uid/mfa/send', ...form, async (ctx) => flow.act(deps, ctx, await loginStep(deps, ctx), 'second-factor', secondFactor.send));
  router.post('/:uid/enroll/start', ...form, async (ctx) => flow.act(deps, ctx, await loginStep(deps, ctx), 'enroll', enrollment.start));
  router.post('/:uid/enroll/passkey', ...form, async (ctx) => flow.act(deps, ctx, await loginStep(deps, ctx), 'enroll', enrollment.confirmPasskey));
  router.post('/:uid/enroll/confirm', ...form, async (ctx) => flow.act(deps, ctx, await loginStep(deps, ctx), 'enroll', enrollment.confirm));
  router.post('/:uid/continue', ...form, async (ctx) => flow.act(deps, ctx, await loginStep(deps, ctx), 'recovery-codes', recoveryCodes.acknowledge));
  router.post('/:uid/change-password', ...form, async (ctx) => flow.act(deps, ctx, await loginStep(deps, ctx), 'change-password', changePassword.submit));

  router.post('/:uid/password-strength', ...form, async (ctx) => {
    const ic = await loadInteraction(deps, ctx);
    return passwordStrength(deps, ctx, ic);
  });

  router.get('/:uid/forgot', async (ctx) => renderForgot(deps, ctx, await loadInteraction(deps, ctx)));
  router.post('/:uid/forgot', ...form, async (ctx) => submitForgot(deps, ctx, await loadInteraction(deps, ctx)));

  router.post('/:uid/consent', ...form, async (ctx) => {
    const ic = await loadInteraction(deps, ctx);
    expectPrompt(ctx, ic.view.prompt.name, 'consent');
    return submitConsent(deps, ctx, ic);
  });

  addFederationRoutes(router, deps, form);

  router.post('/:uid/abort', ...form, async (ctx) => {
    await loadInteraction(deps, ctx);
    return abortInteraction(deps, ctx);
  });
  return router;
}

async function loginStep(deps: LoginDeps, ctx: Context) {
  const ic = await loadInteraction(deps, ctx);
  expectPrompt(ctx, ic.view.prompt.name, 'login');
  return ic;
}

function expectPrompt(ctx: Context, actual: string, expected: string) {
  if (actual !== expected) throw new AppError(400, 'error.session', `This step is not expected now (${ctx.path})`);
}
