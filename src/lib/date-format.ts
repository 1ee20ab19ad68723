/**
 * Dates and times as a reader wants them: in their language, their time zone and, when they
 * chose one, their order of day, month and year and their clock. Pure: Intl only.
 */

/** a user's regional settings; null / 'auto' / anything unknown follow the language */
export interface Regional {
  /** IANA zone; null, empty or unknown: UTC */
  timeZone?: string | null | undefined;
  /** 'auto' | 'ymd' | 'dmy' | 'mdy' */
  dateFormat?: string | null | undefined;
  /** 'auto' | '24h' | '12h' */
  timeFormat?: string | null | undefined;
}

export const UTC = 'UTC';

/** The IANA zone when Intl knows it (canonical spelling), else undefined. */
export function validTimeZone(zone: string | null | undefined): string | undefined {
  if (typeof zone !== 'string' || !zone || zone.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** a locale Intl accepts; our locales always are, this guards a corrupt value */
function usableLocale(locale: string | undefined): string {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf(locale ?? 'en')[0] ?? 'en';
  } catch {
    return 'en';
  }
}

/** Anything a template may hold for an instant (Date, epoch milliseconds, ISO string) as a Date, or undefined. */
export function toDate(value: unknown): Date | undefined {
  const date = value instanceof Date ? value : typeof value === 'number' || typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/**
 * The date, or date and time, e.g. "Mar 12, 2025, 2:05 PM UTC" (en, UTC),
 * "12.03.2025, 15:05 MEZ" (de, Europe/Berlin), "2025-03-12 14:05 UTC" (ymd, 24h). A time always
 * names its zone, so a reader with none set knows it is UTC.
 */
export function formatInstant(value: Date, locale: string | undefined, regional: Regional = {}, what: 'datetime' | 'date' = 'datetime'): string {
  const lang = usableLocale(locale);
  const timeZone = validTimeZone(regional.timeZone) ?? UTC;
  const time: Intl.DateTimeFormatOptions = what === 'date' ? {} : { hour: 'numeric', minute: '2-digit', timeZoneName: 'short', ...clock(regional.timeFormat) };
  const order = regional.dateFormat;
  if (order !== 'ymd' && order !== 'dmy' && order !== 'mdy') {
    return new Intl.DateTimeFormat(lang, { timeZone, year: 'numeric', month: 'short', day: 'numeric', ...time }).format(value);
  }
  const date = numericDate(value, lang, timeZone, order);
  return what === 'date' ? date : `${date} ${new Intl.DateTimeFormat(lang, { timeZone, ...time }).format(value)}`;
}

function clock(timeFormat: string | null | undefined): Intl.DateTimeFormatOptions {
  if (timeFormat === '24h') return { hourCycle: 'h23' };
  if (timeFormat === '12h') return { hourCycle: 'h12' };
  return {};
}

/** the chosen order with numbers: ISO 8601 for ymd, the language's separator for the others */
function numericDate(value: Date, lang: string, timeZone: string, order: 'ymd' | 'dmy' | 'mdy'): string {
  const parts = new Intl.DateTimeFormat('en', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(value);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  const [y, m, d] = [get('year'), get('month'), get('day')];
  if (order === 'ymd') return `${y}-${m}-${d}`;
  const sep = numericSeparator(lang);
  return order === 'dmy' ? `${d}${sep}${m}${sep}${y}` : `${m}${sep}${d}${sep}${y}`;
}

/** the separator the language puts between the numbers of a date ("." in German, "/" in English) */
function numericSeparator(lang: string): string {
  const literal = new Intl.DateTimeFormat(lang, { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: UTC })
    .formatToParts(0)
    .find((p) => p.type === 'literal')
    ?.value.trim();
  return literal === '.' || literal === '-' ? literal : '/';
}
