// Lists the keys of views/locales/en.json that another language lacks (and keys it has that
// English no longer has), so texts added later can be translated.
// Usage: npx node scripts/locale-gaps.ts            one line per gap; exit status 1 when there is any
//        npx node scripts/locale-gaps.ts --json [LANG...]
//                                                  a skeleton to translate: {"de": {"key": "English text"}, ...}
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUPPORTED_LOCALES } from '../src/lib/locale-match.ts';

const dir = join(import.meta.dirname, '..', 'views', 'locales');
const read = (locale: string): Record<string, string> => {
  const file = join(dir, `${locale}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
};

const english = read('en');
const args = process.argv.slice(2);
const json = args[0] === '--json';
const chosen = (json ? args.slice(1) : args).filter(Boolean);
const unknown = chosen.filter((l) => !(SUPPORTED_LOCALES as readonly string[]).includes(l));
if (unknown.length) {
  process.stderr.write(`not a supported language: ${unknown.join(', ')} (supported: ${SUPPORTED_LOCALES.join(', ')})\n`);
  process.exit(2);
}
const languages = chosen.length ? chosen : SUPPORTED_LOCALES.filter((l) => l !== 'en');

const gaps = languages.map((locale) => {
  const catalogue = read(locale);
  return {
    locale,
    missing: Object.keys(english).filter((key) => !(key in catalogue)),
    extra: Object.keys(catalogue).filter((key) => !(key in english)),
  };
});

if (json) {
  const skeleton = Object.fromEntries(gaps.map((g) => [g.locale, Object.fromEntries(g.missing.map((key) => [key, english[key]]))]));
  process.stdout.write(`${JSON.stringify(skeleton, null, 2)}\n`);
} else {
  for (const g of gaps) {
    for (const key of g.missing) process.stdout.write(`${g.locale}\tmissing\t${key}\n`);
    for (const key of g.extra) process.stdout.write(`${g.locale}\textra\t${key}\n`);
  }
  const total = gaps.reduce((n, g) => n + g.missing.length + g.extra.length, 0);
  process.stderr.write(total ? `${total} gaps in ${gaps.filter((g) => g.missing.length + g.extra.length).length} languages\n` : 'no gaps\n');
  process.exitCode = total ? 1 : 0;
}
