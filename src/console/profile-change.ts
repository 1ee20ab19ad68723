import type { Context } from 'koa';
import type { ConsoleDeps, Unlocked } from './context.ts';
import { requestFacts, translator } from './context.ts';
import { renderSecurity } from './overview.ts';
import { AppError } from '../lib/errors.ts';

/** Users change their own first and last name (admins change roles and email addresses). */
export async function changeOwnName(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const body = ctx.request.body as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const t = translator(deps, ctx);
  try {
    const user = await deps.profiles.updateProfile({
      userId: who.user.id, firstName: text(body.firstName), lastName: text(body.lastName), actor: `user:${who.user.id}`, ...requestFacts(ctx),
    });
    return renderSecurity(deps, ctx, { ...who, user }, { notice: t('account.profile.saved') });
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    ctx.status = err.status;
    return renderSecurity(deps, ctx, who, { error: err.code === 'user.nothing_to_change' ? t('account.profile.unchanged') : err.message });
  }
}
