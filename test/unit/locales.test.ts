import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SUPPORTED_LOCALES } from '../../src/lib/locale-match.ts';

const root = join(import.meta.dirname, '..', '..');
const localesDir = join(root, 'views', 'locales');
/** a missing file reads as empty, so its tests fail one by one rather than the whole file */
const read = (locale: string) =>
  existsSync(join(localesDir, `${locale}.json`)) ? (JSON.parse(readFileSync(join(localesDir, `${locale}.json`), 'utf8')) as Record<string, unknown>) : {};
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function filesUnder(dir: string, ending: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(ending))
    .map((e) => join(e.parentPath, e.name));
}

/** literal keys only: a key built at run time (`mfa.lead.${factor}`) cannot be checked here */
function keysUsed(files: string[], pattern: RegExp): { key: string; file: string }[] {
  return files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(pattern)].map((m) => ({ key: m[1]!, file: relative(root, file) })));
}

describe('message catalogues (views/locales)', () => {
  const english = read('en');

  it('has a catalogue for every supported language and none other', () => {
    const files = readdirSync(localesDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
    expect(files).to.deep.equal([...SUPPORTED_LOCALES].sort());
  });

  for (const locale of SUPPORTED_LOCALES) {
    describe(locale, () => {
      const catalogue = read(locale);

      it('has exactly the keys of en.json (npx node scripts/locale-gaps.ts lists the gaps)', () => {
        const keys = new Set(Object.keys(catalogue));
        const missing = Object.keys(english).filter((k) => !keys.has(k));
        const extra = [...keys].filter((k) => !(k in english));
        expect({ missing, extra }).to.deep.equal({ missing: [], extra: [] });
      });

      it('has a non-empty text for every key, with the placeholders of the English text', () => {
        const wrong = Object.entries(catalogue).filter(
          ([key, text]) =>
            typeof text !== 'string' ||
            !text.trim() ||
            (typeof english[key] === 'string' && placeholders(text).join() !== placeholders(english[key] as string).join()),
        );
        expect(wrong.map(([key]) => key)).to.deep.equal([]);
      });

      it('holds no HTML of its own: no entities, and angle brackets only as the English has them', () => {
        const tags = (text: string) =>
          [...text.matchAll(/<[^>]*>?/g)]
            .map((m) => m[0])
            .sort()
            .join();
        const stray = Object.entries(catalogue).filter(
          ([key, text]) =>
            /&[#\w]+;/.test(String(text)) || tags(String(text)) !== tags(String(english[key] ?? '')) || /[<>]/.test(String(text).replace(/<[^>]*>/g, '')),
        );
        expect(stray.map(([key]) => key)).to.deep.equal([]);
      });
    });
  }

  it('has every key that views/**/*.hbs use', () => {
    const used = keysUsed(filesUnder(join(root, 'views'), '.hbs'), /[{(]t\s+"([^"]+)"/g);
    expect(used.length).to.be.greaterThan(100);
    expect(used.filter(({ key }) => !(key in english))).to.deep.equal([]);
  });

  it('has every literal key that translate(...) and t(...) calls in src/ use', () => {
    const used = keysUsed(filesUnder(join(root, 'src'), '.ts'), /\b(?:translate|t)\(\s*['"]([A-Za-z][\w.-]*)['"]/g);
    expect(used.length).to.be.greaterThan(20);
    expect(used.filter(({ key }) => !(key in english))).to.deep.equal([]);
  });
});
