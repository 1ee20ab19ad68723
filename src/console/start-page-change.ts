import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { formField, translator } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { startChoices } from './start-choices.ts';
import { renderOverview } from './overview-page.ts';

/** "Start page": the console (empty value) or one of the choices; anything else is refused, nothing changed */
export async function chooseStartPage(deps: ConsoleDeps, ctx: Context, who: SignedIn) {
  const t = translator(deps, ctx);
  const value = formField(ctx, 'startClientId', 128);
  const choices = await startChoices(deps, who);
  if (value && !choices.some((c) => c.clientId === value)) {
    ctx.status = 400;
    return renderOverview(deps, ctx, who, { errors: { startClientId: t('account.start.invalid') } });
  }
  const settings = await deps.accountSettings.setStartClient({
    userId: who.user.id,
    clientId: value || null,
    actor: `user:${who.user.id}`,
    ...requestFacts(ctx),
  });
  return renderOverview(deps, ctx, { ...who, settings }, { notice: t('account.start.saved') });
}
