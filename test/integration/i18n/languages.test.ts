import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import * as oidc from 'openid-client';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { Browser } from '../../support/browser.ts';
import { finishFlow, post, startFlow } from '../../support/two-factor.ts';
import { startDeliveryStandIns, type DeliveryStandIns } from '../../support/delivery-stand-ins.ts';
import { BACKENDS } from '../../support/backends.ts';
import { UserEntity } from '../../../src/store/entities/index.ts';
import { formatInstant } from '../../../src/lib/date-format.ts';

/** the text of a catalogue key as a page shows it (HTML-escaped) */
const catalogue = (locale: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'views', 'locales', `${locale}.json`), 'utf8')) as Record<string, string>;
const shown = (locale: string, key: string) => Handlebars.escapeExpression(catalogue(locale)[key]!);
const lang = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];
/** a catalogue text with its placeholders as a pattern */
const pattern = (text: string, values: Record<string, string>) =>
  new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{(\w+)\\\}/g, (_, name: string) => values[name] ?? '.+')}$`);

for (const kind of BACKENDS) {
  describe(`languages of pages, emails, SMS and claims (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    let stand: DeliveryStandIns | undefined;
    const hans = { email: 'hans@example.com', password: 'ein langes Passwort für Hans 42' };
    const jana = { email: 'jana@example.com', password: 'dlouhé heslo pro Janu 42 x' };
    const janaPhone = '+14155550177';
    let hansFactorAdded: Date;

    before(async () => {
      stand = await startDeliveryStandIns();
      ({ f, config } = await startFixture(kind, { env: stand.env }));
      const { tenants, users, factors, db } = f.server.container;
      const tenant = await tenants.getByName(f.tenant);
      await tenants.updatePolicy(tenant.id, { mfa: { mode: 'always', factors: ['email', 'sms'] } });
      // Hans reads German, in Berlin time, year first and a 24-hour clock; his codes come by email
      const h = await users.create({ tenantId: tenant.id, email: hans.email, password: hans.password, firstName: 'Hans' });
      await db.em().nativeUpdate(UserEntity, { id: h.id }, { locale: 'de', timeZone: 'Europe/Berlin', dateFormat: 'ymd', timeFormat: '24h' });
      const emailFactor = await factors.addPending(h.id, 'email');
      hansFactorAdded = (await factors.confirm(h.id, emailFactor.id)).createdAt;
      // Jana reads Czech pages but wants her emails in Polish; her codes come by SMS
      const j = await users.create({ tenantId: tenant.id, email: jana.email, password: jana.password, firstName: 'Jana' });
      await db.em().nativeUpdate(UserEntity, { id: j.id }, { locale: 'cs', emailLocale: 'pl' });
      const sms = await factors.addPending(j.id, 'sms', { phone: janaPhone });
      await factors.confirm(j.id, sms.id);
    });
    after(async () => {
      await disposeFixture(f);
      await stand?.close();
    });

    const browserWith = (acceptLanguage?: string) => {
      const browser = new Browser(f.server.url);
      if (acceptLanguage) browser.headers = { 'accept-language': acceptLanguage };
      return browser;
    };

    it('shows the sign-in page in the language ui_locales asks for', async () => {
      const { page } = await startFlow(config, f.client, undefined, { extra: { ui_locales: 'it de-AT en' } });
      expect(page.status).to.equal(200);
      expect(lang(page.html)).to.equal('de');
      expect(page.html).to.include(shown('de', 'signIn.password')).and.include(shown('de', 'signIn.submit'));
      expect(page.html).not.to.include('>Password<');
    });

    it('follows Accept-Language without ui_locales, and ui_locales beats it', async () => {
      const ja = await startFlow(config, f.client, undefined, { browser: browserWith('fr;q=0.4, ja-JP, en;q=0.8') });
      expect(lang(ja.page.html)).to.equal('ja');
      expect(ja.page.html).to.include(shown('ja', 'signIn.title')).and.include(shown('ja', 'signIn.password'));
      const fr = await startFlow(config, f.client, undefined, { browser: browserWith('ja'), extra: { ui_locales: 'fr' } });
      expect(lang(fr.page.html)).to.equal('fr');
      expect(fr.page.html).to.include(shown('fr', 'signIn.password'));
    });

    it('answers English for an unknown, malformed or huge Accept-Language, never an error', async () => {
      for (const header of ['it-IT, nl;q=0.5', ';;;q=,*,zh-TW', `${'x-'.repeat(3000)}de`, 'de;q=0']) {
        const { page } = await startFlow(config, f.client, undefined, { browser: browserWith(header) });
        expect(page.status, header.slice(0, 40)).to.equal(200);
        expect(lang(page.html), header.slice(0, 40)).to.equal('en');
      }
      const discovery = (await (await fetch(`${f.server.url}/.well-known/openid-configuration`)).json()) as { ui_locales_supported: string[] };
      expect(discovery.ui_locales_supported).to.deep.equal(['en', 'de', 'fr', 'tr', 'ru', 'es', 'zh-CN', 'ja', 'ko', 'pt-BR', 'cs', 'pl']);
    });

    it("speaks the user's language after the password step, over Accept-Language; the code email too; the tokens carry locale and zoneinfo", async () => {
      const since = Date.now();
      // profile claims go to userinfo; the ID token carries them when the claims parameter asks
      const claimsParameter = JSON.stringify({ id_token: { locale: null, zoneinfo: null } });
      const flow = await startFlow(config, f.client, hans, { browser: browserWith('ja'), extra: { scope: 'openid email profile', claims: claimsParameter } });
      expect(lang(flow.page.html)).to.equal('de');
      expect(flow.page.html).to.include(shown('de', 'mfa.title'));
      const mail = await stand!.smtp.waitForMail(hans.email, catalogue('de')['email.sign-in-code.subject']!, since);
      expect(mail.text).to.include(catalogue('de')['email.sign-in-code.intro']);
      const code = /\b(\d{6})\b/.exec(mail.text ?? '')![1]!;
      const done = await post(flow.browser, flow.page, '/mfa', { code });
      const { tokens, claims } = await finishFlow(config, f.client, flow, done);
      expect(claims).to.include({ locale: 'de', zoneinfo: 'Europe/Berlin' });
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      expect(info).to.include({ locale: 'de', zoneinfo: 'Europe/Berlin' });

      // the account pages of the same browser: German, dates in Berlin time, year first
      const unlock = await flow.browser.navigate('/account/security');
      expect(lang(unlock.html)).to.equal('de');
      const unlocked = await post(flow.browser, { status: unlock.res.status, url: unlock.url, html: unlock.html }, '/account/security/unlock', {
        password: hans.password,
      });
      expect(lang(unlocked.html)).to.equal('de');
      expect(unlocked.html).to.include(shown('de', 'account.title'));
      const added = formatInstant(hansFactorAdded, 'de', { timeZone: 'Europe/Berlin', dateFormat: 'ymd' }, 'date');
      expect(added).to.match(/^\d{4}-\d{2}-\d{2}$/);
      expect(unlocked.html).to.include(Handlebars.escapeExpression(catalogue('de')['account.factors.added']!.replace('{date}', added)));
    });

    it("lets ui_locales beat the user's setting on the pages after the password", async () => {
      const flow = await startFlow(config, f.client, hans, { extra: { ui_locales: 'ko' } });
      expect(lang(flow.page.html)).to.equal('ko');
      expect(flow.page.html).to.include(shown('ko', 'mfa.title'));
    });

    it("sends the SMS code in the user's language, and emails in the user's email language", async () => {
      const since = Date.now();
      const flow = await startFlow(config, f.client, jana, { browser: browserWith('en') });
      expect(lang(flow.page.html)).to.equal('cs');
      const sms = await stand!.twilio.waitForSms(janaPhone, since);
      expect(sms.body).to.match(pattern(catalogue('cs')['sms.code']!, { code: '\\d{6}', minutes: '\\d+' }));
      expect(sms.body).not.to.match(pattern(catalogue('en')['sms.code']!, { code: '\\d{6}', minutes: '\\d+' }));

      // forgot password: the link goes out in Polish, though the page was Czech
      const forgotSince = Date.now();
      const start = await startFlow(config, f.client, undefined, { browser: browserWith('cs') });
      const forgot = await start.browser.navigate(`${start.page.url}/forgot`);
      expect(lang(forgot.html)).to.equal('cs');
      await post(start.browser, { status: forgot.res.status, url: forgot.url, html: forgot.html }, '/forgot', { email: jana.email });
      const mail = await stand!.smtp.waitForMail(jana.email, catalogue('pl')['email.password-reset.subject']!, forgotSince);
      expect(mail.text).to.include(catalogue('pl')['email.password-reset.intro']);
    });

    it("names a factor in the email's language, not the page's", async () => {
      const since = Date.now();
      const { id } = (await f.server.container.users.findByEmail((await f.server.container.tenants.getByName(f.tenant)).id, jana.email))!;
      await f.server.container.notifications.factorAdded(
        { id, email: jana.email, firstName: 'Jana', locale: 'cs', emailLocale: 'pl', requestLocale: 'de' },
        'sms',
      );
      const pl = catalogue('pl');
      const mail = await stand!.smtp.waitForMail(jana.email, pl['email.factor-added.subject']!, since);
      expect(mail.text).to.include(pl['email.factor-added.intro']!.replace('{factor}', pl['factor.sms']!));
      expect(mail.text).to.include(pl['email.greeting']!.replace('{name}', 'Jana'));
    });
  });
}
