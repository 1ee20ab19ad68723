import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';
import { DEFAULT_LOCALE, SUPPORTED_LOCALES } from '../lib/locale-match.ts';
import { formatInstant, toDate, type Regional } from '../lib/date-format.ts';

export type Catalogue = Record<string, string>;

export interface Renderer {
  /**
   * renders views/pages/<page>.hbs inside views/layout.hbs; `regional` (the reader's time zone
   * and formats, ctx.state.regional) is what `{{datetime x}}` and `{{date x}}` format with
   */
  render(page: string, data: Record<string, unknown>, locale?: string, regional?: Regional): string;
  /** the catalogue's text (English when the language lacks the key), with {name} placeholders filled */
  translate(key: string, locale?: string, vars?: Record<string, unknown>): string;
  /** views/emails/<name>.text.hbs and .html.hbs, subject from the catalogue key email.<name>.subject */
  renderEmail(name: string, data: Record<string, unknown>, locale?: string, regional?: Regional): { subject: string; text: string; html: string };
  /** the languages with a catalogue, in the order of SUPPORTED_LOCALES */
  readonly locales: readonly string[];
}

/**
 * Handlebars views with message catalogues (views/locales/<lang>.json; English is the
 * source; a key a language lacks falls back to English). Templates hold no logic beyond
 * lookups and escaping: `{{t "key" name=x}}`, `{{datetime when}}`, `{{date added}}`.
 */
export function createRenderer(viewsDir: string): Renderer {
  const hbs = Handlebars.create();
  const catalogues = new Map<string, Catalogue>();
  const files = new Set(readdirSync(join(viewsDir, 'locales')));
  for (const locale of SUPPORTED_LOCALES.filter((l) => files.has(`${l}.json`))) {
    catalogues.set(locale, JSON.parse(readFileSync(join(viewsDir, 'locales', `${locale}.json`), 'utf8')) as Catalogue);
  }
  const source = catalogues.get(DEFAULT_LOCALE);
  if (!source) throw new Error('views/locales/en.json is missing');

  const translate = (key: string, locale: string = DEFAULT_LOCALE, vars: Record<string, unknown> = {}): string => {
    const text = catalogues.get(locale)?.[key] ?? source[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));
  };

  hbs.registerHelper('t', function t(this: unknown, key: string, options: Handlebars.HelperOptions) {
    const locale = (options.data.root as { locale?: string }).locale;
    return translate(key, locale, options.hash as Record<string, unknown>);
  });
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  const instant = (what: 'datetime' | 'date') =>
    function format(value: unknown, options: Handlebars.HelperOptions) {
      const root = options.data.root as { locale?: string; regional?: Regional };
      const date = toDate(value);
      return date ? formatInstant(date, root.locale, root.regional, what) : '';
    };
  hbs.registerHelper('datetime', instant('datetime'));
  hbs.registerHelper('date', instant('date'));

  const partialsDir = join(viewsDir, 'partials');
  for (const file of readdirSync(partialsDir).filter((f) => f.endsWith('.hbs'))) {
    hbs.registerPartial(basename(file, '.hbs'), readFileSync(join(partialsDir, file), 'utf8'));
  }
  // plain-text emails are not HTML: their text is written as it is (an apostrophe stays one)
  const compile = (path: string) => hbs.compile(readFileSync(path, 'utf8'), { strict: false, noEscape: path.endsWith('.text.hbs') });
  const layout = compile(join(viewsDir, 'layout.hbs'));
  const pages = new Map<string, HandlebarsTemplateDelegate>();
  for (const file of readdirSync(join(viewsDir, 'pages')).filter((f) => f.endsWith('.hbs'))) {
    pages.set(basename(file, '.hbs'), compile(join(viewsDir, 'pages', file)));
  }

  const emails = new Map<string, HandlebarsTemplateDelegate>();
  for (const file of readdirSync(join(viewsDir, 'emails')).filter((f) => f.endsWith('.hbs'))) {
    emails.set(basename(file, '.hbs'), compile(join(viewsDir, 'emails', file)));
  }

  return {
    locales: [...catalogues.keys()],
    renderEmail(name, data, locale = DEFAULT_LOCALE, regional = {}) {
      const text = emails.get(`${name}.text`);
      const html = emails.get(`${name}.html`);
      if (!text || !html) throw new Error(`no email template ${name}`);
      const root = { ...data, locale, regional };
      return { subject: translate(`email.${name}.subject`, locale, data), text: text(root), html: html(root) };
    },
    translate,
    render(page, data, locale = DEFAULT_LOCALE, regional = {}) {
      const template = pages.get(page);
      if (!template) throw new Error(`no view ${page}`);
      const root = { ...data, locale, regional };
      return layout({ ...root, body: new hbs.SafeString(template(root)) });
    },
  };
}
