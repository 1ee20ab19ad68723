import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Fixture } from '../../support/fixture.ts';
import { watchedContext, checkPage } from '../../support/chromium.ts';
import { authorizationRequest, fillSignIn } from './relying-app.ts';
import { startBrowserWorld, stopBrowserWorld, type BrowserWorld } from './world.ts';

const SUITE = 'languages';
const catalogue = (locale: string) =>
  JSON.parse(readFileSync(new URL(`../../../views/locales/${locale}.json`, import.meta.url), 'utf8')) as Record<string, string>;

/**
 * The hosted pages in German and Japanese, in real Chromium: asked for by the application
 * (ui_locales), and chosen by the user as the interface language in the account console.
 * Texts are compared with the catalogues, so the test follows their wording.
 */
describe('browser: German and Japanese pages', function () {
  this.timeout(90_000);
  let world: BrowserWorld;
  let f: Fixture;
  const en = catalogue('en');

  before(async () => {
    world = await startBrowserWorld();
    ({ f } = world);
  });
  after(() => stopBrowserWorld(world));

  for (const locale of ['de', 'ja']) {
    it(`ui_locales=${locale}: the sign-in page and its refusal speak ${locale}`, async () => {
      const texts = catalogue(locale);
      for (const key of ['signIn.title', 'signIn.email', 'signIn.password', 'signIn.failed']) {
        expect(texts[key], `${locale}.json ${key}`).to.be.a('string').and.not.equal(en[key]);
      }
      const w = await watchedContext(world.browser, { locale: 'en-GB' });
      try {
        const request = await authorizationRequest(w.page, world.config, world.app, { ui_locales: locale });
        await w.page.goto(request.url);
        expect(await w.page.getAttribute('html', 'lang')).to.equal(locale);
        expect(await w.page.getByRole('heading', { level: 1 }).textContent()).to.equal(texts['signIn.title']);
        await checkPage(w, SUITE, `sign-in-${locale}`);
        await w.page.getByLabel(texts['signIn.email']!).fill(f.user.email);
        await w.page.getByLabel(texts['signIn.password']!, { exact: true }).fill('not the password at all');
        await w.page.getByLabel(texts['signIn.password']!, { exact: true }).press('Enter');
        await w.page.getByRole('alert').waitFor();
        expect(await w.page.getByRole('alert').textContent()).to.equal(texts['signIn.failed']);
        await checkPage(w, SUITE, `sign-in-failed-${locale}`);
      } finally {
        await w.context.close();
      }
    });
  }

  it('choosing Japanese as the interface language in the console turns the console Japanese, the security section too', async () => {
    const ja = catalogue('ja');
    const w = await watchedContext(world.browser, { locale: 'en-GB' });
    try {
      const request = await authorizationRequest(w.page, world.config, world.app);
      await w.page.goto(request.url);
      await fillSignIn(w.page, f.user);
      await request.finish();
      await w.page.goto(`${f.server.url}/account?tenant=${f.tenant}`);
      await w.page.getByLabel(en['account.regional.locale']!).selectOption('ja');
      await w.page.getByRole('button', { name: en['account.regional.save'] }).press('Enter');
      await w.page.waitForLoadState('load');
      expect(await w.page.getAttribute('html', 'lang')).to.equal('ja');
      expect(await w.page.getByRole('heading', { level: 1 }).textContent()).to.equal(ja['account.overview.title']);
      await checkPage(w, SUITE, 'console-ja');

      await w.page.goto(`${f.server.url}/account/security`);
      expect(await w.page.getByRole('heading', { level: 1 }).textContent()).to.equal(ja['account.unlock.title']);
      await checkPage(w, SUITE, 'console-unlock-ja');
    } finally {
      await w.context.close();
    }
  });
});
