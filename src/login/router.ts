import Router from '@koa/router';
import type { Context } from 'koa';
import type { LoginDeps } from './context.ts';
import { loadInteraction } from './context.ts';
import { beginStepUp, renderSignIn, submitPassword } from './sign-in.ts';
import { renderSecondFactor, sendCode, submitSecondFactor } from './second-factor.ts';
import { confirmEnrollment, continueAfterNotice, renderEnrollment, startEnrollment } from './enroll-factor.ts';
import { advance, SignInRefused } from './next-step.ts';
import { FACTOR_TYPES } from '../policy/tenant-policy.ts';
import { renderChangePassword, submitChangePassword } from './change-password.ts';
import { renderForgot, submitForgot } from './forgot-password.ts';
import { passwordStrength } from './password-strength.ts';
import { renderConsent, submitConsent, abortInteraction } from './consent.ts';
import { formBody } from '../http/body.ts';
import { AppError } from '../lib/errors.ts';
import { addFederationRoutes } from './federation-router.ts';
import { showFederationLink } from './federation-link.ts';
import { followProviderHint } from './federation.ts';

/**
 * The hosted sign-in, one step per file, in order: sign-in (email + password, lockout),
 * second factor (or its enrollment), change-password (expired or forced), consent. Forgot-password hangs off the sign-in page.
 * Every POST carries a CSRF token and a form body of bounded size.
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
      await renderSignIn(deps, ctx, err.ic, { error: deps.renderer.translate('signIn.failed', ctx.state.locale as string) });
    }
  });

  router.get('/:uid', async (ctx) => {
    const ic = await loadInteraction(deps, ctx);
    if (ic.view.prompt.name === 'login') {
      const state = ic.state;
      switch (state?.pending) {
        case 'change-password': return renderChangePassword(deps, ctx, ic, { reason: state.changeReason ?? 'forced' });
        case 'second-factor': return renderSecondFactor(deps, ctx, ic, state, { factor: ctx.query.factor });
        case 'enroll': return renderEnrollment(deps, ctx, ic, state);
        case 'continue': return advance(deps, ctx, ic, state);
        case 'federation-link': return showFederationLink(deps, ctx, ic, state);
        default:
          if (await beginStepUp(deps, ctx, ic)) return;
          if (await followProviderHint(deps, ctx, ic)) return;
          return renderSignIn(deps, ctx, ic);
      }
    }
    if (ic.view.prompt.name === 'consent') return renderConsent(deps, ctx, ic);
    throw new AppError(400, 'error.session', `Unsupported step ${ic.view.prompt.name}`);
  });

  router.post('/:uid/login', ...form, async (ctx) => {
    const ic = await loadInteraction(deps, ctx);
    expectPrompt(ctx, ic.view.prompt.name, 'login');
    return submitPassword(deps, ctx, ic);
  });

  router.post('/:uid/mfa', ...form, async (ctx) => submitSecondFactor(deps, ctx, await loginStep(deps, ctx)));

  router.post('/:uid/mfa/send', ...form, async (ctx) => {
    const ic = await loginStep(deps, ctx);
    const state = ic.state;
    if (state?.pending !== 'second-factor') throw new AppError(400, 'error.session', 'This step is not expected now');
    const factor = FACTOR_TYPES.find((f) => f === (ctx.request.body as Record<string, unknown>).factor);
    if (!factor) throw new AppError(400, 'error.session', 'Choose a method first');
    return sendCode(deps, ctx, ic, state, factor);
  });

  router.post('/:uid/enroll/start', ...form, async (ctx) => startEnrollment(deps, ctx, await loginStep(deps, ctx)));
  router.post('/:uid/enroll/confirm', ...form, async (ctx) => confirmEnrollment(deps, ctx, await loginStep(deps, ctx)));
  router.post('/:uid/continue', ...form, async (ctx) => continueAfterNotice(deps, ctx, await loginStep(deps, ctx)));

  router.post('/:uid/change-password', ...form, async (ctx) => {
    const ic = await loadInteraction(deps, ctx);
    expectPrompt(ctx, ic.view.prompt.name, 'login');
    return submitChangePassword(deps, ctx, ic);
  });

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
