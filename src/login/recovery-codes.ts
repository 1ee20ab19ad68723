import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { auditSignIn, pageData } from './context.ts';
import { shown, type StepAt, type StepOutcome } from './step-outcome.ts';

/**
 * The recovery-codes step, after the first factor a user enrolled during sign-in: the codes are
 * made when the flow arrives here and shown in that response only (they are stored as hashes,
 * never anywhere else), so the page cannot be shown again: a reload goes on.
 */
export async function enter(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const locale = ctx.state.locale;
  const codes = await deps.factors.recoveryCodes.generate(at.user.id, ic.tenant.policy.mfa.recoveryCodeCount);
  await auditSignIn(deps, ctx, ic, at.user.id, 'recovery_codes.generated');
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    'recovery-codes',
    pageData(ic, {
      title: deps.renderer.translate('recoveryCodes.title', locale),
      codes,
      csrf: deps.csrf.token(ctx),
      action: `/interaction/${ic.view.uid}/continue`,
    }),
    locale,
  );
  return shown;
}

/** the codes were shown once: a GET of the interaction, or the page's button, goes on */
export async function acknowledge(_deps: LoginDeps, _ctx: Context, _ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const { recoveryCodesPending: _shown, ...state } = at.state;
  return { kind: 'progress', state };
}

export const show = acknowledge;
