import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import type { Fixture } from '../../support/fixture.ts';
import { watchedContext, checkPage } from '../../support/chromium.ts';
import { registerDeviceClient } from '../../support/device-flow.ts';
import { fillSignIn } from './relying-app.ts';
import { startBrowserWorld, stopBrowserWorld, type BrowserWorld } from './world.ts';

const SUITE = 'device-flow';
const en = JSON.parse(readFileSync(new URL('../../../views/locales/en.json', import.meta.url), 'utf8')) as Record<string, string>;

/**
 * The device flow's pages in real Chromium, each through axe-core, the CSP check and a 360 px
 * screen, with screenshots: the code page (empty, after a wrong code, filled in from a
 * verification_uri_complete link), the confirmation naming the application and its tenant, the
 * success page, and the page after Cancel. A CLI (openid-client) polls meanwhile.
 */
describe('browser: device flow pages', function () {
  this.timeout(90_000);
  let world: BrowserWorld;
  let f: Fixture;
  let cli: Awaited<ReturnType<typeof registerDeviceClient>>;

  before(async () => {
    world = await startBrowserWorld();
    ({ f } = world);
    cli = await registerDeviceClient(f, 'Acme CLI');
  });
  after(() => stopBrowserWorld(world));

  it('enter the code (a wrong one first), confirm it, sign in: the CLI gets its tokens', async () => {
    const w = await watchedContext(world.browser);
    try {
      const authorization = await oidc.initiateDeviceAuthorization(cli.config, { scope: 'openid email' });
      const polled = oidc.pollDeviceAuthorizationGrant(cli.config, authorization);
      await w.page.goto(`${f.server.url}/device`);
      expect(await w.page.getByRole('heading', { level: 1 }).textContent()).to.equal(en['deviceFlow.title']);
      await checkPage(w, SUITE, 'code');

      const field = w.page.getByLabel(en['deviceFlow.code']!);
      await field.fill('BBBB-BBBB');
      await field.press('Enter');
      await w.page.getByRole('alert').waitFor();
      expect(await w.page.getByRole('alert').textContent()).to.equal(en['deviceFlow.unknown']);
      expect(await field.getAttribute('aria-invalid')).to.equal('true');
      expect(await field.getAttribute('aria-describedby')).to.equal('user_code-hint form-error');
      expect(await field.inputValue(), 'the wrong code stays to be corrected').to.equal('BBBB-BBBB');
      await checkPage(w, SUITE, 'code-unknown');

      await field.fill(authorization.user_code.toLowerCase());
      await field.press('Enter');
      await w.page.getByRole('heading', { level: 1, name: en['deviceFlow.confirm.title'] }).waitFor();
      expect(await w.page.locator('#user-code').textContent()).to.equal(authorization.user_code);
      expect(await w.page.locator('p.lead').textContent()).to.equal(
        en['deviceFlow.confirm.lead']!.replace('{client}', 'Acme CLI').replace('{tenant}', f.tenant),
      );
      await checkPage(w, SUITE, 'confirm');

      await w.page.getByRole('button', { name: en['deviceFlow.confirm.continue'], exact: true }).press('Enter');
      await fillSignIn(w.page, f.user);
      await w.page.getByRole('heading', { level: 1, name: en['deviceFlow.done.title'] }).waitFor();
      await checkPage(w, SUITE, 'done');
      const tokens = await polled;
      const tenant = await f.server.container.tenants.getByName(f.tenant);
      expect(tokens.claims()!.sub).to.equal((await f.server.container.users.findByEmail(tenant.id, f.user.email))!.id);
    } finally {
      await w.context.close();
    }
  });

  it('a verification_uri_complete link fills the code in; Cancel on the confirmation says the device was not signed in', async () => {
    const w = await watchedContext(world.browser);
    try {
      const authorization = await oidc.initiateDeviceAuthorization(cli.config, { scope: 'openid' });
      await w.page.goto(authorization.verification_uri_complete!);
      expect(await w.page.getByLabel(en['deviceFlow.code']!).inputValue()).to.equal(authorization.user_code);
      expect(await w.page.locator('p.lead').textContent()).to.equal(en['deviceFlow.linked']);
      await checkPage(w, SUITE, 'code-linked');
      await w.page.getByRole('button', { name: en['deviceFlow.submit'], exact: true }).press('Enter');
      await w.page.getByRole('button', { name: en['deviceFlow.confirm.cancel'], exact: true }).press('Enter');
      await w.page.getByRole('status').waitFor();
      expect(await w.page.getByRole('status').textContent()).to.equal(en['deviceFlow.aborted']);
      await checkPage(w, SUITE, 'cancelled');
    } finally {
      await w.context.close();
    }
  });
});
