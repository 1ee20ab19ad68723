import type { Context } from 'koa';
import type { ConsoleDeps, Unlocked } from './context.ts';
import { renderPage, translator, SECURITY_PATH } from './context.ts';
import { renderSecurity } from './security-page.ts';
import { TOKEN_EXPIRY_DAYS, mayHoldTokens } from './api-token-list.ts';
import { ADMIN_SCOPES, type AdminScope } from '../admin/scopes.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import { AppError } from '../lib/errors.ts';
import { readForm } from '../http/form.ts';
import { apiTokenForm, revokeApiTokenForm } from './forms.ts';

/** owners and admins only; anyone else gets 403 and nothing changes */
async function refuseMember(deps: ConsoleDeps, ctx: Context, who: Unlocked): Promise<boolean> {
  if (mayHoldTokens(who)) return false;
  ctx.status = 403;
  await renderSecurity(deps, ctx, who, { error: translator(deps, ctx)('account.tokens.notAdmin') });
  return true;
}

/** a new personal API token: its value is shown in this response only, and the user is told by email */
export async function createToken(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  if (await refuseMember(deps, ctx, who)) return;
  const t = translator(deps, ctx);
  const form = readForm(ctx, apiTokenForm);
  const name = form.name.trim();
  const sent = form.scopes;
  const scopes = sent.filter((s): s is AdminScope => (ADMIN_SCOPES as readonly string[]).includes(s));
  const days = Number(form.expiresInDays);
  const errors: Record<string, string> = {};
  if (!name || name.length > 100) errors.name = t('account.tokens.invalid.name');
  if (!scopes.length || scopes.length !== sent.length) errors.scopes = t('account.tokens.invalid.scopes');
  if (!(TOKEN_EXPIRY_DAYS as readonly number[]).includes(days)) errors.expiresInDays = t('account.tokens.invalid.expiry');
  if (Object.keys(errors).length) {
    ctx.status = 400;
    return renderSecurity(deps, ctx, who, { tokenErrors: errors });
  }
  let issued: Awaited<ReturnType<ConsoleDeps['apiTokens']['create']>>;
  try {
    issued = await deps.apiTokens.create(who.user.id, { name, scopes: [...new Set(scopes)], expiresInDays: days }, `user:${who.user.id}`);
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    ctx.status = err.status;
    return renderSecurity(deps, ctx, who, { error: t(err.code === 'token.limit' ? 'account.tokens.limit' : 'account.tokens.refused') });
  }
  const { apiToken } = issued;
  sendInBackground(deps.logger, 'api-token email', () => deps.notices.apiTokenCreated(who.user, apiToken));
  return renderPage(deps, ctx, who, 'account-api-token', {
    title: t('account.tokens.createdTitle'),
    token: issued.token,
    name: apiToken.name,
    scopes: apiToken.scopes.join(', '),
    expiresAt: apiToken.expiresAt.toISOString(),
    back: SECURITY_PATH,
  });
}

export async function revokeToken(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  if (await refuseMember(deps, ctx, who)) return;
  const t = translator(deps, ctx);
  const { token } = readForm(ctx, revokeApiTokenForm);
  try {
    const revoked = await deps.apiTokens.revoke(who.user.id, token, `user:${who.user.id}`);
    return renderSecurity(deps, ctx, who, { notice: t('account.tokens.revoked', { name: revoked.name }) });
  } catch (err) {
    if (!(err instanceof AppError) || (err.status !== 404 && err.status !== 409)) throw err;
    ctx.status = err.status;
    return renderSecurity(deps, ctx, who, { error: t('account.tokens.missing') });
  }
}
