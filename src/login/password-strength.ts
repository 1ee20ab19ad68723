import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { passwordMessages } from './password-messages.ts';
import { readForm } from '../http/form.ts';
import { passwordStrengthForm } from './forms.ts';

/**
 * Strength feedback while the user types a new password (public/password-meter.js calls
 * this; no inline script). History is not checked here: that costs argon2 work per keystroke.
 */
export async function passwordStrength(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  const state = ic.state;
  const user = state ? await deps.users.findById(state.userId) : undefined;
  const { password } = readForm(ctx, passwordStrengthForm);
  const locale = ctx.state.locale;
  if (!user || password === undefined) {
    ctx.status = 400;
    ctx.body = { error: 'request.invalid', message: 'No password change is in progress' };
    return;
  }
  const decision = await deps.passwords.evaluate(password, {
    user,
    tenantName: ic.tenant.displayName,
    policy: { ...ic.tenant.policy, password: { ...ic.tenant.policy.password, historyCount: 0 } },
  });
  ctx.body = {
    ok: decision.ok,
    messages: passwordMessages(deps.renderer, locale, decision.failures),
    advice: decision.feedback,
  };
}
