import type { Context } from 'koa';
import type { ConsoleDeps, Unlocked } from './context.ts';
import { audit, translator } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { renderSecurity } from './security-page.ts';
import { passwordMessages } from '../login/password-messages.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import { readForm } from '../http/form.ts';
import { passwordChangeForm } from './forms.ts';

/**
 * "Change password" in the unlocked security section. The current password is checked through
 * the sign-in guard (a wrong one counts toward the tenant's lockout like a sign-in); the new
 * one must pass the tenant's password rules, history included. Then, as for every password
 * change: every other session of the user ends, every grant (so every refresh token) is
 * revoked, remembered devices are forgotten, and the user gets a "password changed" email.
 * This browser stays signed in.
 */
export async function changePassword(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const t = translator(deps, ctx);
  const { current, password, confirm } = readForm(ctx, passwordChangeForm);
  const refuse = (errors: Record<string, string | string[]>, status = 400) => {
    ctx.status = status;
    return renderSecurity(deps, ctx, who, { passwordErrors: errors });
  };
  if (!current) return refuse({ current: t('account.password.currentMissing') });
  if (!password) return refuse({ password: [t('account.password.newMissing')] });
  if (password !== confirm) return refuse({ confirm: t('password.rule.mismatch') });

  const outcome = await deps.guard.attempt(who.tenant, who.user.email, current, requestFacts(ctx));
  if (!outcome.ok || outcome.user.id !== who.user.id) return refuse({ current: t('account.password.currentWrong') }, 401);

  const decision = await deps.passwords.change(password, { user: who.user, tenantName: who.tenant.displayName, policy: who.tenant.policy });
  if (!decision.ok) return refuse({ password: passwordMessages(deps.renderer, ctx.state.locale, decision.failures) });

  const ended = await deps.userSessions.endAll(who.user.id, { keepSessionId: who.sessionId });
  await audit(deps, ctx, who, 'password.changed', { reason: 'console', ...ended });
  sendInBackground(deps.logger, 'password-changed email', () => deps.notifications.passwordChanged(who.user));
  return renderSecurity(deps, ctx, who, { notice: t('account.password.changed') });
}
