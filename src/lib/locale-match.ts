/**
 * Which of our languages a reader gets: BCP 47 lookup (RFC 4647 §3.4) over the preference
 * lists a request carries, with a few fallbacks a plain lookup would miss. Pure: no I/O.
 */

/** the languages of views/locales/<code>.json; English is the source and the last resort */
export const SUPPORTED_LOCALES = ['en', 'de', 'fr', 'tr', 'ru', 'es', 'zh-CN', 'ja', 'ko', 'pt-BR', 'cs', 'pl'] as const;
export type SupportedLocale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: SupportedLocale = 'en';

/** the primary language subtag that stands for one of our regional catalogues */
const LANGUAGE_FALLBACKS: Record<string, SupportedLocale> = { pt: 'pt-BR', zh: 'zh-CN', cmn: 'zh-CN' };
/** Chinese in Traditional script: Simplified would be a guess, so these fall through to the next preference */
const TRADITIONAL_CHINESE = new Set(['hant', 'tw', 'hk', 'mo']);
const BY_LOWER_CASE = new Map<string, SupportedLocale>(SUPPORTED_LOCALES.map((l) => [l.toLowerCase(), l]));

// bounds: a header or parameter longer than this is cut, and only so many entries are read
const MAX_INPUT_LENGTH = 1024;
const MAX_ENTRIES = 32;
const TAG = /^[a-z]{1,8}(?:-[a-z0-9]{1,8})*$/;
const QUALITY = /^q=(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

/** One language tag (any case, `_` taken as `-`) to our locale, or undefined when none fits. */
export function matchLocale(tag: string | null | undefined): SupportedLocale | undefined {
  if (typeof tag !== 'string' || tag.length > 64) return undefined;
  const normal = tag.trim().replaceAll('_', '-').toLowerCase();
  if (!TAG.test(normal)) return undefined;
  const subtags = normal.split('-');
  const primary = subtags[0]!;
  if ((primary === 'zh' || primary === 'cmn') && subtags.some((s) => TRADITIONAL_CHINESE.has(s))) return undefined;
  // lookup: the whole tag, then ever shorter prefixes (de-AT-x-foo, de-AT, de)
  for (let n = subtags.length; n > 0; n--) {
    const exact = BY_LOWER_CASE.get(subtags.slice(0, n).join('-'));
    if (exact) return exact;
  }
  return LANGUAGE_FALLBACKS[primary];
}

/** The first of several tags (in order of preference) that one of our locales fits. */
export function firstMatch(tags: Iterable<string>): SupportedLocale | undefined {
  for (const tag of tags) {
    const match = matchLocale(tag);
    if (match) return match;
  }
  return undefined;
}

/**
 * The tags of an Accept-Language header, most wanted first (RFC 9110 §12.5.4): q-values
 * honoured, q=0 ("not acceptable") and `*` dropped, malformed entries skipped.
 */
export function parseAcceptLanguage(header: string | null | undefined): string[] {
  if (typeof header !== 'string' || !header) return [];
  const entries: { tag: string; q: number; index: number }[] = [];
  for (const [index, part] of header.slice(0, MAX_INPUT_LENGTH).split(',').slice(0, MAX_ENTRIES).entries()) {
    const [rawTag, ...params] = part.split(';').map((s) => s.trim());
    if (!rawTag || rawTag === '*' || !TAG.test(rawTag.toLowerCase())) continue;
    let q = 1;
    let valid = true;
    for (const param of params) {
      const quality = QUALITY.exec(param.toLowerCase().replace(/\s+/g, ''));
      if (quality) q = Number(quality[1]);
      else valid = false;
    }
    if (valid && q > 0) entries.push({ tag: rawTag, q, index });
  }
  return entries.sort((a, b) => b.q - a.q || a.index - b.index).map((e) => e.tag);
}

/** The tags of the OIDC ui_locales parameter: space-separated, in order of preference. */
export function parseUiLocales(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return value.slice(0, MAX_INPUT_LENGTH).split(' ').filter(Boolean).slice(0, MAX_ENTRIES);
}

export interface LocaleInputs {
  /** the OIDC ui_locales parameter of the authorization request (space-separated) */
  uiLocales?: unknown;
  /** the user's own setting (null: automatic), once the user is known */
  userLocale?: string | null | undefined;
  /** the request's Accept-Language header */
  acceptLanguage?: string | null | undefined;
}

/** The page's language: ui_locales, then the user's setting, then Accept-Language, then English. */
export function resolveLocale(inputs: LocaleInputs): SupportedLocale {
  return (
    firstMatch(parseUiLocales(inputs.uiLocales)) ?? matchLocale(inputs.userLocale) ?? firstMatch(parseAcceptLanguage(inputs.acceptLanguage)) ?? DEFAULT_LOCALE
  );
}

/** An email's language: the recipient's email language, else their language, else the request's, else English. */
export function resolveEmailLocale(recipient: {
  emailLocale?: string | null | undefined;
  locale?: string | null | undefined;
  requestLocale?: string | undefined;
}): SupportedLocale {
  return matchLocale(recipient.emailLocale) ?? matchLocale(recipient.locale) ?? matchLocale(recipient.requestLocale) ?? DEFAULT_LOCALE;
}
