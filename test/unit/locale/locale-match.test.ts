import { expect } from 'chai';
import {
  SUPPORTED_LOCALES,
  firstMatch,
  matchLocale,
  parseAcceptLanguage,
  parseUiLocales,
  resolveEmailLocale,
  resolveLocale,
} from '../../../src/lib/locale-match.ts';

describe('language matching (BCP 47 lookup with fallbacks)', () => {
  it('offers the twelve languages, English first', () => {
    expect(SUPPORTED_LOCALES).to.deep.equal(['en', 'de', 'fr', 'tr', 'ru', 'es', 'zh-CN', 'ja', 'ko', 'pt-BR', 'cs', 'pl']);
  });

  it('matches every supported code exactly, in any case and with _ for -', () => {
    for (const locale of SUPPORTED_LOCALES) {
      expect(matchLocale(locale)).to.equal(locale);
      expect(matchLocale(locale.toUpperCase())).to.equal(locale);
      expect(matchLocale(locale.replace('-', '_').toLowerCase())).to.equal(locale);
    }
  });

  it('falls back from regions, scripts and extensions to the language', () => {
    expect(matchLocale('de-AT')).to.equal('de');
    expect(matchLocale('de-CH-1996')).to.equal('de');
    expect(matchLocale('fr-CA')).to.equal('fr');
    expect(matchLocale('es-419')).to.equal('es');
    expect(matchLocale('en-GB')).to.equal('en');
    expect(matchLocale('sr-Latn-RS')).to.equal(undefined);
    expect(matchLocale('ja-JP-u-ca-japanese')).to.equal('ja');
    expect(matchLocale('ko-KR')).to.equal('ko');
    expect(matchLocale('cs-CZ')).to.equal('cs');
    expect(matchLocale('pl-PL')).to.equal('pl');
    expect(matchLocale('tr-TR')).to.equal('tr');
    expect(matchLocale('ru-UA')).to.equal('ru');
  });

  it('takes any Portuguese as Brazilian Portuguese', () => {
    expect(matchLocale('pt')).to.equal('pt-BR');
    expect(matchLocale('pt-PT')).to.equal('pt-BR');
    expect(matchLocale('pt-br')).to.equal('pt-BR');
  });

  it('takes Chinese in Simplified script (zh, zh-Hans, zh-SG, cmn) as zh-CN, and not Traditional', () => {
    for (const tag of ['zh', 'zh-CN', 'zh-Hans', 'zh-Hans-CN', 'zh-SG', 'zh-Hans-SG', 'cmn', 'cmn-Hans-CN', 'zh_cn'])
      expect(matchLocale(tag), tag).to.equal('zh-CN');
    for (const tag of ['zh-TW', 'zh-Hant', 'zh-HK', 'zh-Hant-TW', 'zh-MO']) expect(matchLocale(tag), tag).to.equal(undefined);
  });

  it('matches nothing for other languages, malformed or oversized tags', () => {
    for (const tag of ['it', 'nl-NL', '', ' ', '*', 'x-klingon', 'de--AT', 'de-', '-de', 'd3', 'de-AT!', 'toolonglanguage', 'a'.repeat(100), 'de\u0000']) {
      expect(matchLocale(tag), JSON.stringify(tag)).to.equal(undefined);
    }
    expect(matchLocale(undefined)).to.equal(undefined);
    expect(matchLocale(null)).to.equal(undefined);
    expect(matchLocale(42 as unknown as string)).to.equal(undefined);
  });

  it('reads Accept-Language by q-value, keeping the order of equal ones', () => {
    expect(parseAcceptLanguage('fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5')).to.deep.equal(['fr-CH', 'fr', 'en', 'de']);
    expect(parseAcceptLanguage('en;q=0.1, ja')).to.deep.equal(['ja', 'en']);
    expect(parseAcceptLanguage('de;q=0.5, pl;q=0.5, cs')).to.deep.equal(['cs', 'de', 'pl']);
    expect(parseAcceptLanguage('ko ; q = 0.8 , ru')).to.deep.equal(['ru', 'ko']);
    expect(parseAcceptLanguage('es;Q=1.000')).to.deep.equal(['es']);
  });

  it('drops q=0 (not acceptable), wildcards and malformed entries', () => {
    expect(parseAcceptLanguage('de;q=0, fr')).to.deep.equal(['fr']);
    expect(parseAcceptLanguage('de;q=0.000')).to.deep.equal([]);
    expect(parseAcceptLanguage('de;q=2, fr;q=1.5, es;q=abc, pl;q=0.1234, ru;foo=bar, ja;q=0.5')).to.deep.equal(['ja']);
    expect(parseAcceptLanguage('*')).to.deep.equal([]);
    expect(parseAcceptLanguage(',,;;,=,q=1,<script>,de')).to.deep.equal(['de']);
    expect(parseAcceptLanguage('')).to.deep.equal([]);
    expect(parseAcceptLanguage(undefined)).to.deep.equal([]);
  });

  it('reads a bounded part of a huge header', () => {
    const huge = `${'xx, '.repeat(10_000)}de`;
    expect(parseAcceptLanguage(huge).length).to.be.at.most(32);
    expect(firstMatch(parseAcceptLanguage(huge))).to.equal(undefined);
    expect(parseAcceptLanguage(`de, ${'x'.repeat(100_000)}`)).to.deep.equal(['de']);
  });

  it('reads ui_locales as a space-separated list in order', () => {
    expect(parseUiLocales('fr-CA fr en')).to.deep.equal(['fr-CA', 'fr', 'en']);
    expect(parseUiLocales('  de   ja ')).to.deep.equal(['de', 'ja']);
    expect(parseUiLocales(['de'])).to.deep.equal([]);
    expect(parseUiLocales(undefined)).to.deep.equal([]);
    expect(parseUiLocales('de '.repeat(5000)).length).to.equal(32);
  });

  it("resolves ui_locales > the user's setting > Accept-Language > English", () => {
    const acceptLanguage = 'ja,en;q=0.5';
    expect(resolveLocale({})).to.equal('en');
    expect(resolveLocale({ acceptLanguage })).to.equal('ja');
    expect(resolveLocale({ acceptLanguage, userLocale: 'pl' })).to.equal('pl');
    expect(resolveLocale({ acceptLanguage, userLocale: 'pl', uiLocales: 'it de' })).to.equal('de');
    // nothing usable at one level passes to the next
    expect(resolveLocale({ acceptLanguage, userLocale: null, uiLocales: 'it nl' })).to.equal('ja');
    expect(resolveLocale({ acceptLanguage: 'it, nl', userLocale: 'auto' })).to.equal('en');
    expect(resolveLocale({ acceptLanguage: 'zh-TW, zh-CN;q=0.5' })).to.equal('zh-CN');
    expect(resolveLocale({ acceptLanguage: 'zh-TW' })).to.equal('en');
    expect(resolveLocale({ acceptLanguage: 'pt-PT,pt;q=0.9' })).to.equal('pt-BR');
  });

  it("resolves an email's language: email language > language > request > English", () => {
    expect(resolveEmailLocale({})).to.equal('en');
    expect(resolveEmailLocale({ requestLocale: 'fr' })).to.equal('fr');
    expect(resolveEmailLocale({ locale: 'cs', requestLocale: 'fr' })).to.equal('cs');
    expect(resolveEmailLocale({ emailLocale: 'ko', locale: 'cs', requestLocale: 'fr' })).to.equal('ko');
    expect(resolveEmailLocale({ emailLocale: null, locale: null, requestLocale: 'bogus' })).to.equal('en');
  });
});
