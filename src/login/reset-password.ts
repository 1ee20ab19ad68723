import Router from '@koa/router';
import type { Context } from 'koa';
import type { LoginDeps } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { passwordMessages } from './password-messages.ts';
import type { PasswordResetTokens } from '../accounts/password-reset.ts';
import { minimumLength } from '../policy/password-rules.ts';
import { formBody } from '../http/body.ts';
import { applyLocale } from '../http/locale.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import { readForm } from '../http/form.ts';
import { newPasswordForm } from './forms.ts';

/**
 * /password/reset/<token>: the link from a reset email. Single use, expires, and stops working
 * when a newer link is sent or the password changes; such a link gets a page that says so and
 * what to do. Success ends every session, revokes every refresh token and lifts a lockout (the
 * mailbox proved who this is).
 */
export function createResetPasswordRouter(deps: LoginDeps & { tokens: PasswordResetTokens }, options: { bodyLimitKb: number }): Router {
  const router = new Router({ prefix: '/password/reset' });
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  const loadSubject = async (ctx: Context) => {
    const state = await deps.tokens.inspect(String(ctx.params.token));
    if (!state.valid) return { invalid: state.reason } as const;
    const [user, tenant] = await Promise.all([deps.users.findById(state.userId), deps.tenants.findById(state.tenantId)]);
    if (!user || !tenant || user.status !== 'active') return { invalid: 'unknown' } as const;
    // the link came in the user's email: its pages speak the user's language
    applyLocale(ctx, { user });
    return { user, tenant } as const;
  };

  const titles: Record<string, string> = { 'reset-password': 'reset.title', 'reset-done': 'resetDone.title', 'reset-invalid': 'resetInvalid.title' };
  const render = (ctx: Context, page: string, data: Record<string, unknown>) => {
    const locale = ctx.state.locale;
    ctx.type = 'html';
    ctx.body = deps.renderer.render(page, { title: deps.renderer.translate(titles[page]!, locale), ...data }, locale);
  };

  const renderForm = (
    ctx: Context,
    subject: { tenant: { displayName: string; policy: import('../policy/tenant-policy.ts').TenantPolicy } },
    errors: string[] = [],
  ) =>
    render(ctx, 'reset-password', {
      tenantName: subject.tenant.displayName,
      advice: deps.renderer.translate('password.advice', ctx.state.locale, {
        min: minimumLength(subject.tenant.policy.password, subject.tenant.policy.mfa.mode),
      }),
      action: ctx.path,
      csrf: deps.csrf.token(ctx),
      errors,
    });

  const invalid = (ctx: Context, reason: string) => {
    ctx.status = reason === 'unknown' ? 404 : 410;
    render(ctx, 'reset-invalid', { reason: deps.renderer.translate(`resetInvalid.${reason}`, ctx.state.locale) });
  };

  router.get('/:token', async (ctx) => {
    const subject = await loadSubject(ctx);
    if ('invalid' in subject) return invalid(ctx, subject.invalid!);
    renderForm(ctx, subject);
  });

  router.post('/:token', formBody(options.bodyLimitKb), deps.csrf.verify, async (ctx) => {
    const subject = await loadSubject(ctx);
    if ('invalid' in subject) return invalid(ctx, subject.invalid!);
    const { user, tenant } = subject;
    const { password, confirm } = readForm(ctx, newPasswordForm);
    const locale = ctx.state.locale;
    if (password !== confirm) {
      ctx.status = 400;
      return renderForm(ctx, subject, [deps.renderer.translate('password.rule.mismatch', locale)]);
    }
    const decision = await deps.passwords.evaluate(password, { user, tenantName: tenant.displayName, policy: tenant.policy });
    if (!decision.ok) {
      ctx.status = 400;
      return renderForm(ctx, subject, passwordMessages(deps.renderer, locale, decision.failures));
    }
    // single use: only the request that consumes the token may set the password
    if (!(await deps.tokens.consume(String(ctx.params.token)))) {
      // used, replaced or expired while the password was being checked: say which
      const state = await deps.tokens.inspect(String(ctx.params.token));
      return invalid(ctx, state.valid ? 'used' : state.reason);
    }
    await deps.passwords.save(password, user.id);
    const ended = await deps.userSessions.endAll(user.id);
    await deps.guard.unlock(tenant, user.email, `user:${user.id}`);
    await deps.audit.record({
      tenantId: tenant.id,
      userId: user.id,
      actor: `user:${user.id}`,
      action: 'password.reset_completed',
      ...requestFacts(ctx),
      details: ended,
    });
    sendInBackground(deps.logger, 'password-changed email', () => deps.notifications.passwordChanged(user));
    render(ctx, 'reset-done', { tenantName: tenant.displayName });
  });
  return router;
}
