import Router from '@koa/router';
import type { Context } from 'koa';
import type { Renderer } from '../http/views.ts';
import type { Csrf } from '../http/csrf.ts';
import { formBody } from '../http/body.ts';
import { requestFacts } from '../http/request-facts.ts';
import { passwordMessages } from '../login/password-messages.ts';
import { minimumLength } from '../policy/password-rules.ts';
import type { InvitationService, InvalidLink } from '../accounts/invitations.ts';
import type { EmailChangeService } from '../accounts/email-change.ts';
import type { PasswordService } from '../accounts/passwords.ts';
import type { Tenant } from '../accounts/tenants.ts';
import type { User } from '../accounts/users.ts';
import { readForm } from '../http/form.ts';
import { newPasswordForm, passwordStrengthForm } from '../login/forms.ts';

export interface LinkPagesDeps {
  renderer: Renderer;
  csrf: Csrf;
  invitations: InvitationService;
  emailChanges: EmailChangeService;
  passwords: PasswordService;
}

/** the paths this router answers; app.ts mounts it under each */
export const LINK_PAGE_PREFIXES = ['/invitation', '/email-change'] as const;

/**
 * The links of lifecycle emails, as the reset-password link works: /invitation/<token> sets
 * the first password under the tenant's rules and verifies the address; /email-change/<token>
 * confirms a new address with a button (a mail scanner opening the link changes nothing).
 * Single use, expiring; a used, replaced or expired link gets a page that says so.
 */
export function createLinkPagesRouter(deps: LinkPagesDeps, options: { bodyLimitKb: number }): Router {
  const router = new Router();
  const form = [formBody(options.bodyLimitKb), deps.csrf.verify];
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  const t = (ctx: Context, key: string, vars?: Record<string, unknown>) => deps.renderer.translate(key, ctx.state.locale, vars);
  const render = (ctx: Context, page: string, title: string, data: Record<string, unknown>) => {
    ctx.type = 'html';
    ctx.body = deps.renderer.render(page, { title: t(ctx, title, { tenant: data.tenantName }), ...data }, ctx.state.locale);
  };
  const invalid = (ctx: Context, purpose: 'invitation' | 'email_change', reason: InvalidLink) => {
    ctx.status = reason === 'unknown' ? 404 : 410;
    render(ctx, 'link-invalid', 'linkInvalid.title', { reason: t(ctx, `linkInvalid.${reason}`), next: t(ctx, `linkInvalid.next.${purpose}`) });
  };
  const token = (ctx: Context) => String(ctx.params.token);

  const invitationForm = (ctx: Context, subject: { user: User; tenant: Tenant }, errors: string[] = []) =>
    render(ctx, 'invitation', 'invitation.title', {
      tenantName: subject.tenant.displayName,
      email: subject.user.email,
      advice: t(ctx, 'password.advice', { min: minimumLength(subject.tenant.policy.password, subject.tenant.policy.mfa.mode) }),
      action: ctx.path,
      strengthAction: `${ctx.path}/password-strength`,
      csrf: deps.csrf.token(ctx),
      errors,
    });

  router.get('/invitation/:token', async (ctx) => {
    const state = await deps.invitations.inspect(token(ctx));
    if (!state.valid) return invalid(ctx, 'invitation', state.reason);
    invitationForm(ctx, state);
  });

  router.post('/invitation/:token', ...form, async (ctx) => {
    const state = await deps.invitations.inspect(token(ctx));
    if (!state.valid) return invalid(ctx, 'invitation', state.reason);
    const { password, confirm } = readForm(ctx, newPasswordForm);
    if (password !== confirm || !password) {
      ctx.status = 400;
      return invitationForm(ctx, state, [t(ctx, 'password.rule.mismatch')]);
    }
    const outcome = await deps.invitations.accept({ token: token(ctx), password, ...requestFacts(ctx) });
    if (outcome.status === 'invalid') return invalid(ctx, 'invitation', outcome.reason);
    if (outcome.status === 'refused') {
      ctx.status = 400;
      return invitationForm(ctx, state, passwordMessages(deps.renderer, ctx.state.locale, outcome.failures));
    }
    render(ctx, 'invitation-done', 'invitationDone.title', { tenantName: outcome.tenant.displayName, email: outcome.user.email });
  });

  // strength feedback while typing (public/password-meter.js); history is not checked here
  router.post('/invitation/:token/password-strength', ...form, async (ctx) => {
    const state = await deps.invitations.inspect(token(ctx));
    const { password } = readForm(ctx, passwordStrengthForm);
    if (!state.valid || password === undefined) {
      ctx.status = 400;
      ctx.body = { error: 'request.invalid', message: 'This invitation cannot be used' };
      return;
    }
    const decision = await deps.passwords.evaluate(password, { user: state.user, tenantName: state.tenant.displayName, policy: state.tenant.policy });
    ctx.body = { ok: decision.ok, messages: passwordMessages(deps.renderer, ctx.state.locale, decision.failures), advice: decision.feedback };
  });

  router.get('/email-change/:token', async (ctx) => {
    const state = await deps.emailChanges.inspect(token(ctx));
    if (!state.valid) return invalid(ctx, 'email_change', state.reason);
    render(ctx, 'email-change-confirm', 'emailChange.title', {
      tenantName: state.tenant.displayName,
      newEmail: state.newEmail,
      oldEmail: state.user.email,
      action: ctx.path,
      csrf: deps.csrf.token(ctx),
    });
  });

  router.post('/email-change/:token', ...form, async (ctx) => {
    const outcome = await deps.emailChanges.confirm({ token: token(ctx), ...requestFacts(ctx) });
    if (outcome.status === 'invalid') return invalid(ctx, 'email_change', outcome.reason);
    if (outcome.status === 'taken') {
      ctx.status = 409;
      return render(ctx, 'link-invalid', 'linkInvalid.title', { reason: t(ctx, 'emailChange.taken'), next: t(ctx, 'linkInvalid.next.email_change') });
    }
    render(ctx, 'email-change-done', 'emailChangeDone.title', { tenantName: outcome.tenant.displayName, email: outcome.user.email });
  });
  return router;
}
