import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';

export type Catalogue = Record<string, string>;

export interface Renderer {
  /** renders views/pages/<page>.hbs inside views/layout.hbs */
  render(page: string, data: Record<string, unknown>, locale?: string): string;
  translate(key: string, locale?: string, vars?: Record<string, unknown>): string;
  /** views/emails/<name>.text.hbs and .html.hbs, subject from the catalogue key email.<name>.subject */
  renderEmail(name: string, data: Record<string, unknown>, locale?: string): { subject: string; text: string; html: string };
  readonly locales: readonly string[];
}

/**
 * Handlebars views with message catalogues (views/locales/<lang>.json; English is the
 * source). Templates hold no logic beyond lookups and escaping: `{{t "key" name=x}}`.
 */
export function createRenderer(viewsDir: string): Renderer {
  const hbs = Handlebars.create();
  const catalogues = new Map<string, Catalogue>();
  for (const file of readdirSync(join(viewsDir, 'locales')).filter((f) => f.endsWith('.json'))) {
    catalogues.set(basename(file, '.json'), JSON.parse(readFileSync(join(viewsDir, 'locales', file), 'utf8')) as Catalogue);
  }
  const source = catalogues.get('en');
  if (!source) throw new Error('views/locales/en.json is missing');

  const translate = (key: string, locale = 'en', vars: Record<string, unknown> = {}): string => {
    const text = catalogues.get(locale)?.[key] ?? source[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));
  };

  hbs.registerHelper('t', function t(this: unknown, key: string, options: Handlebars.HelperOptions) {
    const locale = (options.data.root as { locale?: string }).locale;
    return translate(key, locale, options.hash as Record<string, unknown>);
  });
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);

  const partialsDir = join(viewsDir, 'partials');
  for (const file of readdirSync(partialsDir).filter((f) => f.endsWith('.hbs'))) {
    hbs.registerPartial(basename(file, '.hbs'), readFileSync(join(partialsDir, file), 'utf8'));
  }
  const compile = (path: string) => hbs.compile(readFileSync(path, 'utf8'), { strict: false, noEscape: false });
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
    renderEmail(name, data, locale = 'en') {
      const text = emails.get(`${name}.text`);
      const html = emails.get(`${name}.html`);
      if (!text || !html) throw new Error(`no email template ${name}`);
      const root = { ...data, locale };
      return { subject: translate(`email.${name}.subject`, locale, data), text: text(root), html: html(root) };
    },
    translate,
    render(page, data, locale = 'en') {
      const template = pages.get(page);
      if (!template) throw new Error(`no view ${page}`);
      const root = { ...data, locale };
      return layout({ ...root, body: new hbs.SafeString(template(root)) });
    },
  };
}
