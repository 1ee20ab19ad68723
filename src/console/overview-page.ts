import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { ACCOUNT_PATH, SECURITY_PATH, renderPage, translator } from './context.ts';
import { startChoices } from './start-choices.ts';
import { consoleClientId } from './console-client.ts';
import { TIME_ZONES } from '../accounts/account-settings.ts';
import { SUPPORTED_LOCALES } from '../lib/locale-match.ts';
import { DATE_FORMATS, DISTANCE_UNITS, TIME_FORMATS } from '../store/entities/user.ts';

export interface OverviewOptions {
  notice?: string;
  error?: string;
  /** a message per form field, shown beside it */
  errors?: Record<string, string>;
}

interface Option {
  value: string;
  label: string;
  selected: boolean;
}

/** each language in its own name ("Deutsch", "日本語"): a reader finds their own in any interface language */
function languageName(code: string): string {
  try {
    return new Intl.DisplayNames([code], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

const options = (values: readonly string[], selected: string, label: (v: string) => string): Option[] =>
  values.map((value) => ({ value, label: label(value), selected: value === selected }));

/**
 * The account overview at /account: personal details (name editable; email and role shown
 * with who may change them), regional settings, the start page, and the way to the
 * security section. Each form posts on its own; no password is needed for these.
 */
export async function renderOverview(deps: ConsoleDeps, ctx: Context, who: SignedIn, opts: OverviewOptions = {}) {
  const t = translator(deps, ctx);
  const s = who.settings;
  const automatic = t('account.regional.automatic');
  const languages = (value: string | null) => options(['auto', ...SUPPORTED_LOCALES], value ?? 'auto', (v) => (v === 'auto' ? automatic : languageName(v)));
  const choices = await startChoices(deps, who);
  const start = s.startClientId && choices.some((c) => c.clientId === s.startClientId) ? s.startClientId : '';
  const errors = opts.errors ?? {};
  renderPage(deps, ctx, who, 'account-overview', {
    title: t('account.overview.title'),
    email: who.user.email,
    firstName: who.user.firstName,
    lastName: who.user.lastName,
    role: t(`account.role.${who.user.role}`),
    errors,
    hasErrors: Object.keys(errors).length > 0,
    ...(opts.notice ? { notice: opts.notice } : {}),
    // a message that belongs to a field is shown beside it, not twice
    ...(opts.error && !Object.keys(errors).length ? { error: opts.error } : {}),
    regionalOptions: {
      locale: languages(s.locale),
      emailLocale: languages(s.emailLocale),
      timeZone: options(['auto', ...TIME_ZONES], s.timeZone ?? 'auto', (v) => (v === 'auto' ? t('account.regional.zoneAutomatic') : v)),
      dateFormat: options(DATE_FORMATS, s.dateFormat, (v) => t(`account.regional.date.${v}`)),
      timeFormat: options(TIME_FORMATS, s.timeFormat, (v) => t(`account.regional.time.${v}`)),
      distanceUnit: options(DISTANCE_UNITS, s.distanceUnit, (v) => t(`account.regional.distance.${v}`)),
    },
    startChoices: [
      { value: '', label: t('account.start.console'), selected: start === '' },
      ...choices.map((c) => ({ value: c.clientId, label: c.name, selected: c.clientId === start })),
    ],
    actions: {
      profile: `${ACCOUNT_PATH}/profile`,
      regional: `${ACCOUNT_PATH}/regional`,
      startPage: `${ACCOUNT_PATH}/start-page`,
      security: SECURITY_PATH,
      signOut: signOutUrl(deps, who),
    },
  });
}

/** RP-initiated logout of the console client, back to /account (which then asks to sign in) */
function signOutUrl(deps: ConsoleDeps, who: SignedIn): string {
  const query = new URLSearchParams({ client_id: consoleClientId(who.tenant.id), post_logout_redirect_uri: new URL(ACCOUNT_PATH, deps.issuer).toString() });
  return `/session/end?${query.toString()}`;
}
