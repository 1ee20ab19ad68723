import type { Context, Next } from 'koa';
import { resolveLocale, type SupportedLocale } from '../lib/locale-match.ts';
import type { Regional } from '../lib/date-format.ts';

/**
 * ctx.state.locale is the one place pages read their language, and ctx.state.regional their
 * time zone and date/time formats. This middleware sets them from what every request carries
 * (a `ui_locales` query parameter, Accept-Language); once a handler knows more (the
 * interaction's ui_locales, the user) it calls applyLocale, which resolves again.
 */
export function localeMiddleware() {
  return async function locale(ctx: Context, next: Next) {
    applyLocale(ctx, {});
    await next();
  };
}

/** what a user's settings add to the request's own preferences */
export interface UserRegional extends Regional {
  locale?: string | null | undefined;
}

/**
 * Resolves the page's language again: ui_locales (the interaction's, when given, else the
 * query's) > the user's setting > Accept-Language > English; the user's zone and formats.
 */
export function applyLocale(ctx: Context, known: { uiLocales?: unknown; user?: UserRegional | undefined }): SupportedLocale {
  const { user } = known;
  const locale = resolveLocale({
    uiLocales: known.uiLocales ?? ctx.query.ui_locales,
    userLocale: user?.locale,
    acceptLanguage: ctx.get('accept-language'),
  });
  ctx.state.locale = locale;
  ctx.state.regional = user ? { timeZone: user.timeZone ?? null, dateFormat: user.dateFormat ?? 'auto', timeFormat: user.timeFormat ?? 'auto' } : {};
  return locale;
}
