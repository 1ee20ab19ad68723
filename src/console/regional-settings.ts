import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { formField, translator } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { renderOverview } from './overview-page.ts';
import { regionalSettingsSchema } from '../accounts/account-settings.ts';
import { applyLocale } from '../http/locale.ts';

const FIELDS = ['locale', 'emailLocale', 'timeZone', 'dateFormat', 'timeFormat', 'distanceUnit'] as const;

/**
 * Regional settings: languages of pages and emails, time zone, date and time format, distance
 * unit. Every field is one of the offered choices; a form with any field off the list is
 * refused whole (400, the message beside each bad field) and nothing is stored.
 */
export async function saveRegionalSettings(deps: ConsoleDeps, ctx: Context, who: SignedIn) {
  const t = translator(deps, ctx);
  const input = Object.fromEntries(FIELDS.map((f) => [f, formField(ctx, f, 100)]));
  const parsed = regionalSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '');
      if ((FIELDS as readonly string[]).includes(field)) errors[field] ??= t(`account.regional.invalid.${field}`);
    }
    ctx.status = 400;
    return renderOverview(deps, ctx, who, { errors });
  }
  const settings = await deps.accountSettings.updateRegional({
    userId: who.user.id,
    settings: parsed.data,
    actor: `user:${who.user.id}`,
    ...requestFacts(ctx),
  });
  // the answer already speaks the language just chosen
  applyLocale(ctx, { user: settings });
  return renderOverview(deps, ctx, { ...who, settings }, { notice: translator(deps, ctx)('account.regional.saved') });
}
