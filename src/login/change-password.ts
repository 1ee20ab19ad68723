import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { auditSignIn, pageData } from './context.ts';
import { passwordMessages } from './password-messages.ts';
import { shown, type StepAt, type StepOutcome } from './step-outcome.ts';
import { minimumLength } from '../policy/password-rules.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import { readForm } from '../http/form.ts';
import { changePasswordForm } from './forms.ts';

function render(deps: LoginDeps, ctx: Context, ic: InteractionContext, options: { reason: 'forced' | 'expired'; errors?: string[] }): StepOutcome {
  const locale = ctx.state.locale;
  const t = (key: string, vars?: Record<string, unknown>) => deps.renderer.translate(key, locale, vars);
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    'change-password',
    pageData(ic, {
      title: t('changePassword.title'),
      lead: t(options.reason === 'expired' ? 'changePassword.expired' : 'changePassword.forced'),
      advice: t('password.advice', { min: minimumLength(ic.tenant.policy.password, ic.tenant.policy.mfa.mode) }),
      action: `/interaction/${ic.view.uid}/change-password`,
      strengthAction: `/interaction/${ic.view.uid}/password-strength`,
      csrf: deps.csrf.token(ctx),
      errors: options.errors ?? [],
    }),
    locale,
  );
  return shown;
}

export async function show(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  return render(deps, ctx, ic, { reason: at.state.changeReason ?? 'forced' });
}

/**
 * The step a sign-in goes through when the password expired or an admin forced a reset:
 * the new password must pass the policy; then every other session ends, every refresh token
 * is revoked, the user is told by email, and the sign-in continues.
 */
export async function submit(deps: LoginDeps, ctx: Context, ic: InteractionContext, at: StepAt): Promise<StepOutcome> {
  const { state, user } = at;
  const { password, confirm } = readForm(ctx, changePasswordForm);
  const locale = ctx.state.locale;
  if (password !== confirm) {
    ctx.status = 400;
    return render(deps, ctx, ic, { reason: state.changeReason ?? 'forced', errors: [deps.renderer.translate('password.rule.mismatch', locale)] });
  }
  const decision = await deps.passwords.change(password, { user, tenantName: ic.tenant.displayName, policy: ic.tenant.policy });
  if (!decision.ok) {
    ctx.status = 400;
    return render(deps, ctx, ic, { reason: state.changeReason ?? 'forced', errors: passwordMessages(deps.renderer, locale, decision.failures) });
  }
  // this browser's own session (a re-authentication of a signed-in user) is the one the sign-in
  // continues in: ending it would strand the interaction; it is re-established by the result
  const ended = await deps.userSessions.endAll(user.id, ic.view.sessionId ? { keepSessionId: ic.view.sessionId } : {});
  await auditSignIn(deps, ctx, ic, user.id, 'password.changed', { reason: state.changeReason ?? 'forced', ...ended });
  sendInBackground(deps.logger, 'password-changed email', () => deps.notifications.passwordChanged(user));
  const { changeReason: _done, ...rest } = state;
  return { kind: 'progress', state: rest };
}
