import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { translator } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { AppError } from '../lib/errors.ts';
import { readForm } from '../http/form.ts';
import { profileForm } from './forms.ts';

type PageOptions = { error?: string; notice?: string; errors?: Record<string, string> };
type Render<W extends SignedIn> = (deps: ConsoleDeps, ctx: Context, who: W, options: PageOptions) => Promise<void>;

/**
 * Users change their own first and last name (admins change roles and email addresses). The
 * page that sent the form (the account overview or the security section) shows the result.
 */
export async function changeOwnName<W extends SignedIn>(deps: ConsoleDeps, ctx: Context, who: W, render: Render<W>) {
  const { firstName, lastName } = readForm(ctx, profileForm);
  const t = translator(deps, ctx);
  try {
    const user = await deps.profiles.updateProfile({
      userId: who.user.id,
      firstName,
      lastName,
      actor: `user:${who.user.id}`,
      ...requestFacts(ctx),
    });
    return render(deps, ctx, { ...who, user }, { notice: t('account.profile.saved') });
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    ctx.status = err.status;
    if (err.code !== 'user.invalid_name') return render(deps, ctx, who, { error: t('account.profile.unchanged') });
    const field = err.message.startsWith('lastName') ? 'lastName' : 'firstName';
    const message = t('account.profile.invalid');
    return render(deps, ctx, who, { error: message, errors: { [field]: message } });
  }
}
